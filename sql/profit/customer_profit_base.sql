-- Customer x period revenue, costs and contribution from staging.transactions and the cost model (all
-- rates bound as parameters, priced by the macros of sql/profit/cost_rates.sql), before overhead: per customer, so
-- shards compute it on their own customers.
create or replace temp table _customer_profit_base as
with lines as (
    select
        customer_id,
        order_id,
        amount,
        quantity,
        channel,
        category,
        unit_cost,
        date_trunc($period, order_date)::date as period_start
    from staging.transactions
    -- from $lines_from: the first computed period, less the months a purchase keeps a customer marketed
    where order_date <= $as_of::date and order_date >= $lines_from::date
),

line_costs as (
    select
        *,
        greatest(amount, 0) as sale,
        greatest(-amount, 0) as refund,
        line_cogs(amount, quantity, unit_cost, category, $cogs_method, $cogs_keys, $cogs_values, $cogs_default) as cogs,
        case when amount > 0 then rate_for(channel, $line_keys, $line_values, $line_default) else 0 end as line_cost,
        case when amount < 0 then $handling_per_return else 0 end as handling
    from lines
),

activity as (
    select
        customer_id,
        period_start,
        count(*) filter (where amount > 0) as sale_lines,
        count(*) filter (where amount < 0) as return_lines,
        sum(sale) as revenue,
        sum(cogs) as cogs,
        sum(line_cost) as line_costs,
        sum(refund) as refunds,
        sum(handling) as return_handling
    from line_costs
    group by customer_id, period_start
),

sale_orders as (
    select customer_id, period_start, order_id, arg_min(channel, channel) as channel
    from line_costs
    where amount > 0
    group by customer_id, period_start, order_id
),

order_costs as (
    select
        customer_id,
        period_start,
        count(*) as orders,
        sum(rate_for(channel, $order_keys, $order_values, $order_default)) as order_costs
    from sale_orders
    group by customer_id, period_start
),

purchase_periods as (
    select distinct customer_id, period_start from lines where amount > 0
),

-- Marketed base: from a purchase period until active_months later (the as-of period at most).
marketed as (
    select distinct p.customer_id, unnest(generate_series(
        p.period_start,
        least(p.period_start + to_months($active_months - 1), $as_of_period_start::date),
        to_months($period_months)
    ))::date as period_start
    from purchase_periods as p
),

extra_marketing as (
    select customer_id, period_start, sum(amount) as amount
    from _marketing_costs
    group by customer_id, period_start
),

marketing as (
    select
        coalesce(m.customer_id, e.customer_id) as customer_id,
        coalesce(m.period_start, e.period_start) as period_start,
        coalesce(case when m.customer_id is not null then
            rate_for(c.acquisition_channel, $marketing_keys, $marketing_values, $marketing_default)
        end, 0) + coalesce(e.amount, 0) as marketing_cost
    from marketed as m
    full outer join extra_marketing as e using (customer_id, period_start)
    left join staging.customers as c on c.customer_id = coalesce(m.customer_id, e.customer_id)
),

combined as (
    select
        customer_id,
        period_start,
        coalesce(o.orders, 0) as orders,
        coalesce(a.sale_lines, 0) as sale_lines,
        coalesce(a.return_lines, 0) as return_lines,
        coalesce(a.revenue, 0)::decimal(18, 2) as revenue,
        coalesce(a.cogs, 0)::decimal(18, 2) as cogs,
        (coalesce(a.line_costs, 0) + coalesce(o.order_costs, 0))::decimal(18, 2) as cost_to_serve,
        coalesce(a.refunds, 0)::decimal(18, 2) as refunds,
        coalesce(a.return_handling, 0)::decimal(18, 2) as return_handling,
        coalesce(m.marketing_cost, 0)::decimal(18, 2) as marketing_cost
    from activity as a
    full outer join order_costs as o using (customer_id, period_start)
    full outer join marketing as m using (customer_id, period_start)
),

with_contribution as (
    select
        *,
        refunds + return_handling as returns_cost,
        revenue - cogs - cost_to_serve - refunds - return_handling - marketing_cost as contribution
    from combined
)

select * from with_contribution
