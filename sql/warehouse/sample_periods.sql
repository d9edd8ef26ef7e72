-- The rows of a per-period table at $dates (the scoring dates a run computed), or a deterministic 1-in-$every
-- sample of them, for the row-level GX suites: picked as in sql/warehouse/sample_table.sql.
select *
from query_table($table)
where period_end in (select unnest($dates::date[]))
    and ($every <= 1 or hash(*columns(lambda c: c not in ('loaded_at', 'rejected_at'))) % $every = 0)
