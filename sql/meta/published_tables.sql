-- Tables of the contract schemas, as published (internal work tables excluded).
select schema_name || '.' || table_name as table_name, estimated_size as rows
from duckdb_tables()
where database_name = current_database()
  and schema_name in ('staging', 'clv', 'profit', 'scorecards', 'meta')
  and not (schema_name = 'staging' and table_name = 'customer_attributes')
order by 1
