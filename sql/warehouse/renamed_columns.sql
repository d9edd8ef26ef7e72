-- Columns that a warehouse made by an earlier segprof still has under an old name (README, migration notes).
-- The period-end key is period_end in every table keyed by one (it was as_of_date, and to_date in
-- profit.segment_migration, whose from_date is now start_date as in profit.segment_equity_bridge).
select renames.schema_name, renames.table_name, renames.old_name, renames.new_name
from (values
    ('clv', 'customer_rfm', 'as_of_date', 'period_end'),
    ('clv', 'customer_clv', 'as_of_date', 'period_end'),
    ('clv', 'model_runs', 'as_of_date', 'period_end'),
    ('clv', 'holdout_by_frequency', 'as_of_date', 'period_end'),
    ('clv', 'holdout_by_decile', 'as_of_date', 'period_end'),
    ('clv', 'repeat_purchase_tracking', 'as_of_date', 'period_end'),
    ('profit', 'customer_segments', 'as_of_date', 'period_end'),
    ('profit', 'at_risk_customers', 'as_of_date', 'period_end'),
    ('profit', 'segment_migration', 'to_date', 'period_end'),
    ('profit', 'segment_migration', 'from_date', 'start_date'),
    ('scorecards', 'segment_scorecard', 'as_of_date', 'period_end')
) as renames(schema_name, table_name, old_name, new_name)
inner join duckdb_columns() as columns
    on columns.database_name = current_database()
    and columns.schema_name = renames.schema_name
    and columns.table_name = renames.table_name
    and columns.column_name = renames.old_name
order by all
