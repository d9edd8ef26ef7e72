-- Give a column its new name (sql/warehouse/renamed_columns.sql); rows, keys and comments stay.
alter table {{ schema }}.{{ table }} rename column {{ old }} to {{ new }}
