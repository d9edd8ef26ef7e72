-- The distinct days a table holds in one date column: a write over some days also removes the ones no longer scored.
select distinct {{ column }} as day from query_table($table) order by day
