-- Tables of the contract schemas, as published (internal work tables excluded). Their rows are
-- counted one by one (warehouse/table_row_count): duckdb_tables().estimated_size is an estimate.
select schema_name || '.' || table_name as table_name
from duckdb_tables()
where database_name = current_database()
  and schema_name in ('staging', 'clv', 'profit', 'scorecards', 'meta')
  and not (schema_name = 'staging' and table_name = 'customer_attributes')
order by 1
