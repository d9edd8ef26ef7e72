-- Rows of a per-period table at $dates (the scoring dates a run computed).
select count(*) as row_count from query_table($table) where period_end in (select unnest($dates::date[]))
