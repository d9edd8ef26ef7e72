-- meta.relationships: the join map of the published tables, for BI tools and people. A period end is
-- period_end in every table keyed by one (a refit's date in clv.model_runs, fitted_through in clv.customer_clv).
create schema if not exists meta;

create or replace table meta.relationships as
select * from (values
    ('staging.transactions', 'customer_id', 'staging.customers', 'customer_id', 'many-to-one', 'The customer of a transaction line.', null),
    ('clv.customer_rfm', 'customer_id', 'staging.customers', 'customer_id', 'many-to-one', 'A customer''s RFM statistics at each as-of date.', null),
    ('clv.customer_clv', 'customer_id, period_end', 'clv.customer_rfm', 'customer_id, period_end', 'one-to-one', 'The RFM statistics a CLV was scored from.', null),
    ('clv.customer_clv', 'run_id, fitted_through, purchase_model', 'clv.model_runs', 'run_id, period_end, model', 'many-to-one', 'The purchase-model fit that scored the customer (the refit on fitted_through): join the final fit only (to_filter).', 'stage = ''final'''),
    ('profit.customer_profit', 'customer_id', 'staging.customers', 'customer_id', 'many-to-one', 'A customer''s P&L in each period.', null),
    ('profit.customer_profit', 'customer_id, period_end', 'profit.customer_segments', 'customer_id, period_end', 'many-to-one', 'The customer''s segment at the period end, which the segment P&L counts the customer in.', null),
    ('profit.customer_segments', 'customer_id, period_end', 'clv.customer_clv', 'customer_id, period_end', 'one-to-one', 'The CLV and value tier the segment rules read.', null),
    ('profit.at_risk_customers', 'customer_id, period_end', 'clv.customer_clv', 'customer_id, period_end', 'one-to-one', 'The CLV of a customer at risk.', null),
    ('profit.at_risk_customers', 'customer_id, period_end', 'profit.customer_segments', 'customer_id, period_end', 'one-to-one', 'The segment of a customer at risk.', null),
    ('profit.segment_migration', 'to_segment, period_end', 'profit.segment_profitability', 'segment, period_end', 'many-to-one', 'The segment moved into, at the period end it was reached.', null),
    ('profit.segment_migration', 'from_segment, start_date', 'profit.segment_profitability', 'segment, period_end', 'many-to-one', 'The segment moved out of; from_segment new (acquired in between) has no row there.', null),
    ('profit.segment_equity_bridge', 'segment, period_start', 'profit.segment_profitability', 'segment, period_start', 'one-to-one', 'The segment P&L whose customer_equity the bridge ends at.', null),
    ('profit.segment_contribution_bridge', 'segment, period_start', 'profit.segment_profitability', 'segment, period_start', 'many-to-one', 'The segment P&L whose contribution the bridge ends at (one row per basis).', null),
    ('profit.segment_dimension_profit', 'segment, period_start', 'profit.segment_profitability', 'segment, period_start', 'many-to-one', 'The segment P&L its rows add up to, per dimension (filter one dimension before summing).', null),
    ('profit.whale_curve', 'scope, window_name, period_start', 'profit.whale_curve_summary', 'scope, window_name, period_start', 'many-to-one', 'The headline figures of a curve; scope is all or a segment.', null),
    ('scorecards.segment_scorecard', 'segment, period_end', 'profit.segment_profitability', 'segment, period_end', 'many-to-one', 'The segment P&L a scorecard row reads (one row per KPI).', null),
    ('bi.segment_kpis', 'segment, period_end', 'profit.segment_profitability', 'segment, period_end', 'one-to-one', 'The segment P&L of a scorecard''s period.', null),
    ('bi.customer_360', 'customer_id', 'staging.customers', 'customer_id', 'one-to-one', 'The customer.', null)
) as relationships(from_table, from_columns, to_table, to_columns, cardinality, note, to_filter);

comment on table meta.relationships is 'The join map: which columns of one published table or view join which columns of another, and how many rows match.';
comment on column meta.relationships.from_table is 'Table or view joined from (schema.name).';
comment on column meta.relationships.from_columns is 'Its join columns, comma-separated, in the order of to_columns.';
comment on column meta.relationships.to_table is 'Table or view joined to (schema.name).';
comment on column meta.relationships.to_columns is 'The matching columns of to_table; together they identify one row of to_table.';
comment on column meta.relationships.cardinality is 'many-to-one: any number of from rows per to row; one-to-one: at most one.';
comment on column meta.relationships.note is 'What the join gives.';
comment on column meta.relationships.to_filter is 'A condition on to_table the join needs, or null.';
