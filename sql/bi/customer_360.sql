-- bi.customer_360: one wide row per customer at the latest as-of date, for BI tools.
create schema if not exists bi;

create or replace view bi.customer_360 as
with latest as (
    select max(as_of_date) as as_of_date from clv.customer_clv
),

last_12_months as (
    select
        customer_id,
        sum(revenue) as revenue_12m,
        sum(contribution) as contribution_12m
    from profit.customer_profit
    where period_end > (select as_of_date - interval 12 month from latest)
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
    clv.as_of_date,
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
    on clv.customer_id = customers.customer_id and clv.as_of_date = (select as_of_date from latest)
left join profit.customer_segments as segments
    on segments.customer_id = customers.customer_id and segments.as_of_date = (select as_of_date from latest)
left join last_12_months on last_12_months.customer_id = customers.customer_id;

comment on view bi.customer_360 is 'One row per customer: purchase history, CLV, value tier and segment at the latest as-of date, and the last twelve months'' revenue and contribution.';
