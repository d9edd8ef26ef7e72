-- The rows of profit.segment_contribution_bridge: each segment's P&L against the period before and the same
-- period a year earlier, the change in gross margin split factor by factor (written by name by the table writer).
with pnl as (
    select
        segment,
        period_start,
        period_end,
        active_customers,
        revenue,
        revenue - cogs as gross_margin,
        cost_to_serve,
        returns_cost,
        marketing_cost,
        contribution
    from profit.segment_profitability
),

periods as (
    select period_start, period_end, lag(period_start) over (order by period_start) as prior_start
    from (select period_start, max(period_end) as period_end from pnl group by period_start)
),

bases as (
    select period_start, period_end, 'prior_period' as basis, prior_start as base_period_start
    from periods
    where prior_start is not null
    union all
    select this.period_start, this.period_end, 'year_ago', year_ago.period_start
    from periods as this
    inner join periods as year_ago
        on year(year_ago.period_start) = year(this.period_start) - 1 and month(year_ago.period_start) = month(this.period_start)
),

pairs as (
    select bases.*, segments.segment
    from bases
    cross join (select distinct segment from pnl) as segments
),

compared as (
    select
        pairs.segment,
        pairs.period_start,
        pairs.period_end,
        pairs.basis,
        pairs.base_period_start,
        coalesce(base.active_customers, 0) as a0,
        coalesce(base.revenue, 0) as r0,
        coalesce(base.gross_margin, 0) as g0,
        coalesce(base.cost_to_serve, 0) as s0,
        coalesce(base.returns_cost, 0) as ret0,
        coalesce(base.marketing_cost, 0) as m0,
        coalesce(base.contribution, 0) as c0,
        coalesce(this.active_customers, 0) as a1,
        coalesce(this.revenue, 0) as r1,
        coalesce(this.gross_margin, 0) as g1,
        coalesce(this.cost_to_serve, 0) as s1,
        coalesce(this.returns_cost, 0) as ret1,
        coalesce(this.marketing_cost, 0) as m1,
        coalesce(this.contribution, 0) as c1
    from pairs
    left join pnl as base on base.segment = pairs.segment and base.period_start = pairs.base_period_start
    left join pnl as this on this.segment = pairs.segment and this.period_start = pairs.period_start
    where base.segment is not null or this.segment is not null
),

-- Gross margin = active customers x revenue per active customer x margin rate: one factor changed at a time.
effects as (
    select
        *,
        case when a0 > 0 then round((a1 - a0) * g0::double / a0, 2) else g1 - g0 end::decimal(18, 2) as customer_count_effect,
        case when a0 > 0 and r0 <> 0 then round((r1::double - a1 * r0::double / a0) * g0::double / r0::double, 2) else 0 end::decimal(18, 2)
            as revenue_per_customer_effect
    from compared
),

final as (
    select
        segment,
        period_start,
        period_end,
        basis,
        base_period_start,
        a0 as base_active_customers,
        r0 as base_revenue,
        g0 as base_gross_margin,
        c0 as base_contribution,
        customer_count_effect,
        revenue_per_customer_effect,
        (g1 - g0 - customer_count_effect - revenue_per_customer_effect)::decimal(18, 2) as margin_effect,
        (s0 - s1)::decimal(18, 2) as cost_to_serve_effect,
        (ret0 - ret1)::decimal(18, 2) as returns_effect,
        (m0 - m1)::decimal(18, 2) as marketing_effect,
        a1 as active_customers,
        r1 as revenue,
        g1 as gross_margin,
        c1 as contribution,
        $costs_assumed as costs_assumed
    from effects
)

select * from final
