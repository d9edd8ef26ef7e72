-- The rows of a table set aside (sql/warehouse/set_table_aside.sql) into its new definition, by name;
-- sql/warehouse/drop_set_aside.sql then drops the old table.
insert into {{ schema }}.{{ table }} by name select * from {{ schema }}.{{ aside }}
