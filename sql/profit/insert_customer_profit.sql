-- Customer x period P&L from staging.transactions and the cost model (all rates bound as parameters).
insert into profit.customer_profit
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
    where order_date <= $as_of::date
),

line_costs as (
    select
        *,
        greatest(amount, 0) as sale,
        greatest(-amount, 0) as refund,
        case when amount > 0 then round(
            case
                when $cogs_method = 'unit_cost' and unit_cost is not null then unit_cost * quantity
                else amount * coalesce(map($cogs_keys::varchar[], $cogs_values::double[])[category], $cogs_default)
            end, 2)
        else 0 end as cogs,
        case when amount > 0 then
            coalesce(map($line_keys::varchar[], $line_values::double[])[channel], $line_default)
        else 0 end as line_cost,
        case when amount < 0 then $handling_per_return else 0 end as handling
    from lines
),

activity as (
    select
        customer_id,
        period_start,
        count(distinct order_id) filter (where amount > 0) as orders,
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
        sum(coalesce(map($order_keys::varchar[], $order_values::double[])[channel], $order_default)) as order_costs
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
        least(p.period_start + to_months($active_months - 1), date_trunc($period, $as_of::date)::date),
        case when $period = 'quarter' then interval 3 month else interval 1 month end
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
            coalesce(map($marketing_keys::varchar[], $marketing_values::double[])[c.acquisition_channel], $marketing_default)
        end, 0) + coalesce(e.amount, 0) as marketing_cost
    from marketed as m
    full outer join extra_marketing as e using (customer_id, period_start)
    left join staging.customers as c on c.customer_id = coalesce(m.customer_id, e.customer_id)
),

combined as (
    select
        customer_id,
        period_start,
        coalesce(a.orders, 0) as orders,
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
        revenue - cogs - cost_to_serve - refunds - return_handling - marketing_cost as contribution,
        case $overhead_key
            when 'revenue' then revenue::double
            when 'orders' then orders::double
            else 1.0
        end as overhead_weight
    from combined
),

-- Overhead in whole cents, by largest remainder, so that each period's total is exact.
overhead_shares as (
    select
        *,
        round($overhead_per_period * 100) * overhead_weight / nullif(sum(overhead_weight) over (partition by period_start), 0) as exact_cents
    from with_contribution
),

overhead_ranked as (
    select
        *,
        floor(coalesce(exact_cents, 0)) as floor_cents,
        round($overhead_per_period * 100) - sum(floor(coalesce(exact_cents, 0))) over (partition by period_start) as left_over,
        row_number() over (partition by period_start order by coalesce(exact_cents, 0) - floor(coalesce(exact_cents, 0)) desc, customer_id) as remainder_rank
    from overhead_shares
),

final as (
    select
        customer_id,
        period_start,
        least((period_start + case when $period = 'quarter' then interval 3 month else interval 1 month end - interval 1 day)::date, $as_of::date) as period_end,
        orders,
        sale_lines,
        return_lines,
        revenue,
        cogs,
        cost_to_serve,
        refunds,
        return_handling,
        returns_cost,
        marketing_cost,
        contribution,
        ((floor_cents + case when remainder_rank <= left_over and exact_cents is not null then 1 else 0 end) / 100)::decimal(18, 2) as overhead_cost,
        contribution - ((floor_cents + case when remainder_rank <= left_over and exact_cents is not null then 1 else 0 end) / 100)::decimal(18, 2) as profit_after_overhead,
        $costs_assumed as costs_assumed
    from overhead_ranked
)

select * from final
