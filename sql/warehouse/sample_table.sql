-- A table, or a deterministic 1-in-$every sample of its rows, for the row-level GX suites.
select *
from query_table($table)
where $every <= 1 or hash(*columns(*)) % $every = 0
