-- Customer x period P&L: _customer_profit_base (sql/profit/customer_profit_base.sql, one or all shards) with the
-- period overhead allocated across all customers.
with with_weight as (
    select
        *,
        case $overhead_key
            when 'revenue' then revenue::double
            when 'orders' then orders::double
            else 1.0
        end as overhead_weight
    from _customer_profit_base
),

-- Overhead in whole cents, by largest remainder, so that each period's total is exact.
overhead_shares as (
    select
        *,
        round($overhead_per_period * 100) * overhead_weight / nullif(sum(overhead_weight) over (partition by period_start), 0) as exact_cents
    from with_weight
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
        least((period_start + to_months($period_months) - interval 1 day)::date, $as_of::date) as period_end,
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
    where period_start in (select unnest($periods::date[]))  -- the periods this run computes
)

select * from final
