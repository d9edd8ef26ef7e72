-- bi.segment_kpis: one wide row per segment and period end with every scorecard KPI.
create schema if not exists bi;

create or replace view bi.segment_kpis as
select
    segment,
    as_of_date,
    any_value(manager) as manager,
    max(value) filter (where kpi = 'customers') as customers,
    max(value) filter (where kpi = 'active_customers') as active_customers,
    max(value) filter (where kpi = 'revenue') as revenue,
    max(value) filter (where kpi = 'contribution') as contribution,
    max(value) filter (where kpi = 'contribution_per_customer') as contribution_per_customer,
    max(value) filter (where kpi = 'share_of_contribution') as share_of_contribution,
    max(value) filter (where kpi = 'customer_equity') as customer_equity,
    max(value) filter (where kpi = 'average_clv') as average_clv,
    max(value) filter (where kpi = 'retention_rate') as retention_rate,
    max(value) filter (where kpi = 'net_migration') as net_migration,
    count(*) filter (where status = 'red') as kpis_off_target
from scorecards.segment_scorecard
group by segment, as_of_date;

comment on view bi.segment_kpis is 'One row per segment and period end with every scorecard KPI as a column, and how many KPIs are off target.';
