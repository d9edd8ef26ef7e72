-- profit.segment_dimension_profit: a segment's P&L split by its customers' channel, region and category.
create schema if not exists profit;

create table if not exists profit.segment_dimension_profit (
    segment               varchar        not null,
    period_start          date           not null,
    period_end            date           not null,
    dimension             varchar        not null,
    value                 varchar        not null,
    customers             bigint         not null,
    active_customers      bigint         not null,
    revenue               decimal(18, 2) not null,
    cogs                  decimal(18, 2) not null,
    cost_to_serve         decimal(18, 2) not null,
    refunds               decimal(18, 2) not null,
    returns_cost          decimal(18, 2) not null,
    marketing_cost        decimal(18, 2) not null,
    contribution          decimal(18, 2) not null,
    overhead_cost         decimal(18, 2) not null,
    profit_after_overhead decimal(18, 2) not null,
    returns_rate          double,
    costs_assumed         boolean        not null,
    primary key (segment, period_start, dimension, value)
);

comment on table profit.segment_dimension_profit is 'Per segment and period, its P&L split by one dimension of its customers at a time: channel (of acquisition), region (most frequent) or category (most frequent). Each customer counts whole in one value of each dimension, so every dimension''s rows add up to profit.segment_profitability (a blocking check).';
comment on column profit.segment_dimension_profit.segment is 'Segment name.';
comment on column profit.segment_dimension_profit.period_start is 'First day of the period.';
comment on column profit.segment_dimension_profit.period_end is 'Last day of the period (the as-of date for the current period); segment membership is taken at this date.';
comment on column profit.segment_dimension_profit.dimension is 'channel (staging.customers.acquisition_channel), region (profit.customer_segments.region: the one the segment rules read) or category (the category of most of the customer''s transaction lines up to period_end).';
comment on column profit.segment_dimension_profit.value is 'The dimension''s value; (none) where the data has none.';
comment on column profit.segment_dimension_profit.customers is 'Customers of the segment at period_end with this value.';
comment on column profit.segment_dimension_profit.active_customers is 'Of those, customers with at least one order in the period.';
comment on column profit.segment_dimension_profit.revenue is 'Their gross sales in the period.';
comment on column profit.segment_dimension_profit.cogs is 'Their cost of goods sold.';
comment on column profit.segment_dimension_profit.cost_to_serve is 'Their cost to serve.';
comment on column profit.segment_dimension_profit.refunds is 'Their refunded amounts.';
comment on column profit.segment_dimension_profit.returns_cost is 'Their refunds plus return handling.';
comment on column profit.segment_dimension_profit.marketing_cost is 'Their marketing and retention cost.';
comment on column profit.segment_dimension_profit.contribution is 'revenue - cogs - cost_to_serve - returns_cost - marketing_cost.';
comment on column profit.segment_dimension_profit.overhead_cost is 'Their allocated overhead.';
comment on column profit.segment_dimension_profit.profit_after_overhead is 'contribution - overhead_cost.';
comment on column profit.segment_dimension_profit.returns_rate is 'refunds / revenue; null without revenue.';
comment on column profit.segment_dimension_profit.costs_assumed is 'True when the cost model is a stated assumption (config profit.assumptions), not costs from the data.';
