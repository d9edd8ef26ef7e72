-- Each customer's cost history up to one scoring date, priced by the P&L's cost model (the macros of
-- sql/profit/cost_rates.sql, as sql/profit/customer_profit_base.sql prices the same lines): what CLV in profit terms
-- takes each customer's unit economics from (models/clv/unit_economics.py). Only lines up to the date count. Money is
-- summed as DECIMAL, so the result does not depend on the order of the rows (a sharded run equals an unsharded one).
with lines as (
    select
        customer_id,
        order_id,
        order_date,
        order_ts,
        amount,
        channel,
        date_trunc($period, order_date)::date as period_start,
        line_cogs(amount, quantity, unit_cost, category, $cogs_method, $cogs_keys, $cogs_values, $cogs_default)::decimal(18, 2) as cogs,
        case when amount > 0 then rate_for(channel, $line_keys, $line_values, $line_default) else 0 end::decimal(18, 4) as line_cost
    from staging.transactions
    where order_date <= $as_of::date
),

-- As the P&L: an order with a sale line costs its channel's per-order amount, once per period.
order_costs as (
    select customer_id, sum(rate_for(channel, $order_keys, $order_values, $order_default)::decimal(18, 4)) as order_costs
    from (
        select customer_id, period_start, order_id, arg_min(channel, channel) as channel
        from lines
        where amount > 0
        group by customer_id, period_start, order_id
    )
    group by customer_id
),

per_customer as (
    select
        customer_id,
        sum(cogs) as cogs_value,
        sum(line_cost) as line_costs,
        count(distinct order_date) filter (where amount > 0) as sale_days,
        count(*) filter (where amount < 0) as return_lines,
        max(period_start) filter (where amount > 0) as last_purchase_period,
        arg_min(channel, order_ts) as acquisition_channel  -- as staging.customers has it, from the lines up to the date
    from lines
    group by customer_id
),

final as (
    select
        p.customer_id,
        p.cogs_value::double as cogs_value,
        (p.line_costs + coalesce(o.order_costs, 0))::double as cost_to_serve_value,
        p.sale_days,
        p.return_lines,
        rate_for(p.acquisition_channel, $marketing_keys, $marketing_values, $marketing_default) / $period_months
            as marketing_cost_per_month,
        -- Whole months after the scoring date's month in which the P&L markets the customer without another
        -- purchase: every period from a purchase period until active_months later (customer_profit_base.sql).
        coalesce(greatest(0, least($horizon_months, datediff('month', date_trunc('month', $as_of::date),
            p.last_purchase_period + to_months((($active_months - 1) // $period_months) * $period_months + $period_months - 1)
        ))), 0)::integer as marketed_months
    from per_customer as p
    left join order_costs as o using (customer_id)
)

select * from final
