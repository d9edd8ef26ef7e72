-- The primary key columns of one warehouse table, if it has one.
select constraint_column_names as columns
from duckdb_constraints()
where schema_name = $schema and table_name = $table and constraint_type = 'PRIMARY KEY'
