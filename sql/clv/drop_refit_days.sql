-- The refit's staged customer days (sql/clv/stage_refit_days.sql), once the refit is done with them.
drop table if exists temp.main._refit_line_days
