-- A table, or a deterministic 1-in-$every sample of its rows, for the row-level GX suites. Rows are
-- picked by a hash of their values less the load timestamps, so the same data gives the same sample.
select *
from query_table($table)
where $every <= 1 or hash(*columns(lambda c: c not in ('loaded_at', 'rejected_at'))) % $every = 0
