-- bi.customer_360: one wide row per customer at the latest as-of date, for BI tools.
create schema if not exists bi;

create or replace view bi.customer_360 as
with latest as (
    select max(period_end) as period_end from clv.customer_clv
),

last_12_months as (
    select
        customer_id,
        sum(revenue) as revenue_12m,
        sum(contribution) as contribution_12m
    from profit.customer_profit
    where period_end > (select period_end - interval 12 month from latest)
    group by customer_id
)

select
    customers.customer_id,
    customers.first_purchase,
    customers.last_purchase,
    customers.orders,
    customers.revenue as lifetime_revenue,
    customers.acquisition_channel,
    customers.main_region,
    clv.period_end,
    clv.p_alive,
    clv.expected_purchases,
    clv.expected_order_value,
    clv.clv,
    clv.value_tier,
    segments.segment,
    coalesce(last_12_months.revenue_12m, 0) as revenue_12m,
    coalesce(last_12_months.contribution_12m, 0) as contribution_12m
from staging.customers as customers
left join clv.customer_clv as clv
    on clv.customer_id = customers.customer_id and clv.period_end = (select period_end from latest)
left join profit.customer_segments as segments
    on segments.customer_id = customers.customer_id and segments.period_end = (select period_end from latest)
left join last_12_months on last_12_months.customer_id = customers.customer_id;

comment on view bi.customer_360 is 'One row per customer: purchase history, CLV, value tier and segment at the latest as-of date, and the last twelve months'' revenue and contribution.';

comment on column bi.customer_360.customer_id is 'Customer identifier, as in staging.customers.';
comment on column bi.customer_360.first_purchase is 'As staging.customers.first_purchase.';
comment on column bi.customer_360.last_purchase is 'As staging.customers.last_purchase.';
comment on column bi.customer_360.orders is 'As staging.customers.orders.';
comment on column bi.customer_360.lifetime_revenue is 'As staging.customers.revenue: sum of amounts over all history, net of returns.';
comment on column bi.customer_360.acquisition_channel is 'As staging.customers.acquisition_channel.';
comment on column bi.customer_360.main_region is 'As staging.customers.main_region.';
comment on column bi.customer_360.period_end is 'Latest as-of date of clv.customer_clv, which the CLV and segment columns are at.';
comment on column bi.customer_360.p_alive is 'As clv.customer_clv.p_alive at the latest as-of date.';
comment on column bi.customer_360.expected_purchases is 'As clv.customer_clv.expected_purchases at the latest as-of date.';
comment on column bi.customer_360.expected_order_value is 'As clv.customer_clv.expected_order_value at the latest as-of date.';
comment on column bi.customer_360.clv is 'As clv.customer_clv.clv at the latest as-of date.';
comment on column bi.customer_360.value_tier is 'As clv.customer_clv.value_tier at the latest as-of date.';
comment on column bi.customer_360.segment is 'Segment at the as-of date.';
comment on column bi.customer_360.revenue_12m is 'Revenue of the last twelve months before the as-of date, net of returns; 0 when none.';
comment on column bi.customer_360.contribution_12m is 'Contribution of the last twelve months before the as-of date; 0 when none.';
