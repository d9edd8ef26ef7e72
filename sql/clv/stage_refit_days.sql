-- The customer days up to a refit date (the view _line_days of sql/clv/rfm.sql), staged once as a table: the refit's
-- backtest statistics, fallback spend and tracking actuals read them (as line_days) instead of each aggregating the lines.
create or replace temp table _refit_line_days as
select * from _line_days where order_date <= $as_of::date
