-- Columns of one warehouse table with their types and documentation, in table order.
select column_name, data_type, comment
from duckdb_columns()
where schema_name = $schema and table_name = $table
order by column_index
