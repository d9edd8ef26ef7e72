-- Segment, period and dimension whose rows do not add up to the segment P&L to the cent (must be none).
with summed as (
    select
        segment,
        period_start,
        dimension,
        sum(customers) as customers,
        sum(revenue) as revenue,
        sum(contribution) as contribution,
        sum(profit_after_overhead) as profit_after_overhead
    from profit.segment_dimension_profit
    group by all
),

compared as (
    select
        summed.*,
        segment_pnl.customers as segment_customers,
        segment_pnl.revenue as segment_revenue,
        segment_pnl.contribution as segment_contribution,
        segment_pnl.profit_after_overhead as segment_profit_after_overhead
    from summed
    left join profit.segment_profitability as segment_pnl using (segment, period_start)
)

select *
from compared
where customers <> segment_customers or revenue <> segment_revenue or contribution <> segment_contribution
    or profit_after_overhead <> segment_profit_after_overhead or segment_customers is null
order by period_start, segment, dimension
