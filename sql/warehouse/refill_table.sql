-- The rows of a table set aside (sql/warehouse/set_table_aside.sql) into its new definition, by name; then the old
-- table goes.
insert into {{ schema }}.{{ table }} by name select * from {{ schema }}.{{ aside }};
drop table {{ schema }}.{{ aside }}
