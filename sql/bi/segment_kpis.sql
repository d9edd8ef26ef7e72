-- bi.segment_kpis: one wide row per segment and period end with every scorecard KPI.
-- The scorecard stores every KPI as a double; here counts are integers again and money is DECIMAL.
create schema if not exists bi;

create or replace view bi.segment_kpis as
select
    segment,
    period_end,
    any_value(manager) as manager,
    (max(value) filter (where kpi = 'customers'))::bigint as customers,
    (max(value) filter (where kpi = 'active_customers'))::bigint as active_customers,
    (max(value) filter (where kpi = 'revenue'))::decimal(18, 2) as revenue,
    (max(value) filter (where kpi = 'contribution'))::decimal(18, 2) as contribution,
    (max(value) filter (where kpi = 'contribution_per_customer'))::decimal(18, 2) as contribution_per_customer,
    max(value) filter (where kpi = 'share_of_contribution') as share_of_contribution,
    (max(value) filter (where kpi = 'customer_equity'))::decimal(18, 2) as customer_equity,
    (max(value) filter (where kpi = 'average_clv'))::decimal(18, 2) as average_clv,
    max(value) filter (where kpi = 'retention_rate') as retention_rate,
    max(value) filter (where kpi = 'repeat_purchase_rate') as repeat_purchase_rate,
    max(value) filter (where kpi = 'save_rate') as save_rate,
    (max(value) filter (where kpi = 'net_migration'))::bigint as net_migration,
    count(*) filter (where status = 'red') as kpis_off_target
from scorecards.segment_scorecard
group by segment, period_end;

comment on view bi.segment_kpis is 'One row per segment and period end with every scorecard KPI as a column, and how many KPIs are off target.';

-- Column comments: the KPI definitions of pipelines/site/kpis.py, word for word (a test compares them).
comment on column bi.segment_kpis.segment is 'Segment name, as in profit.customer_segments.';
comment on column bi.segment_kpis.period_end is 'Period end (the scorecard''s as-of date); joins profit.segment_profitability.period_end.';
comment on column bi.segment_kpis.manager is 'Segment manager from the config.';
comment on column bi.segment_kpis.customers is 'Customers in the segment at the period end.';
comment on column bi.segment_kpis.active_customers is 'Customers in the segment who ordered in the period.';
comment on column bi.segment_kpis.revenue is 'Gross sales of the segment''s customers in the period.';
comment on column bi.segment_kpis.contribution is 'Revenue minus cost of goods, cost to serve, returns and marketing, in the period.';
comment on column bi.segment_kpis.contribution_per_customer is 'Contribution divided by customers.';
comment on column bi.segment_kpis.share_of_contribution is 'The segment''s contribution as a share of all segments'' contribution in the period.';
comment on column bi.segment_kpis.customer_equity is 'Sum of the customers'' lifetime value (discounted expected contribution over the CLV horizon) at the period end.';
comment on column bi.segment_kpis.average_clv is 'Customer equity divided by customers.';
comment on column bi.segment_kpis.retention_rate is 'Share of the segment''s customers at the start of the period (the previous period end) still in the segment at its end: those who lapsed or moved to another segment are not retained.';
comment on column bi.segment_kpis.repeat_purchase_rate is 'Share of the segment''s customers at the start of the period who ordered in the period.';
comment on column bi.segment_kpis.save_rate is 'Share of the customers on the segment''s action list at the start of the period who ordered in the period.';
comment on column bi.segment_kpis.net_migration is 'Customers who joined the segment in the period (new or from other segments) minus those who left it.';
comment on column bi.segment_kpis.kpis_off_target is 'How many of the segment''s KPIs are red (off target) in the period.';
