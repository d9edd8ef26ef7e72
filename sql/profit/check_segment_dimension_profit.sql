-- Segment, period and dimension whose rows do not add up to the segment P&L to the cent, or are missing (must be none),
-- at $dates (the period ends a run computed the P&L by dimension for).
with expected as (
    select segment, period_start, dimensions.dimension, customers, revenue, contribution, profit_after_overhead
    from profit.segment_profitability
    cross join (values ('channel'), ('region'), ('category')) as dimensions(dimension)
    where customers > 0
        and period_end in (select unnest($dates::date[]))
),

summed as (
    select
        segment,
        period_start,
        dimension,
        sum(customers) as customers,
        sum(revenue) as revenue,
        sum(contribution) as contribution,
        sum(profit_after_overhead) as profit_after_overhead
    from profit.segment_dimension_profit
    where period_end in (select unnest($dates::date[]))
    group by all
),

compared as (
    select
        segment,
        period_start,
        dimension,
        summed.customers,
        summed.revenue,
        summed.contribution,
        summed.profit_after_overhead,
        expected.customers as segment_customers,
        expected.revenue as segment_revenue,
        expected.contribution as segment_contribution,
        expected.profit_after_overhead as segment_profit_after_overhead
    from summed
    full outer join expected using (segment, period_start, dimension)
)

select *
from compared
where customers is distinct from segment_customers or revenue is distinct from segment_revenue
    or contribution is distinct from segment_contribution or profit_after_overhead is distinct from segment_profit_after_overhead
order by period_start, segment, dimension
