-- Drop a table set aside (sql/warehouse/set_table_aside.sql) once its rows are back in the new definition.
drop table {{ schema }}.{{ aside }}
