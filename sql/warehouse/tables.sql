select schema_name || '.' || table_name as table_name
from duckdb_tables()
order by 1
