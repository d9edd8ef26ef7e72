-- Set a table aside under a temporary name, for its definition file to make it again (sql/warehouse/dropped_keys.sql);
-- sql/warehouse/refill_table.sql moves its rows back.
alter table {{ schema }}.{{ table }} rename to {{ aside }}
