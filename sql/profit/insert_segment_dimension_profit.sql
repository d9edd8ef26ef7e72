-- The rows of profit.segment_dimension_profit at the period ends $dates: the customer P&L of each segment's members
-- at the period end, summed by each of three customer dimensions (written by name by the table writer).
with periods as (
    select distinct period_start, period_end
    from profit.customer_profit
    where period_end in (select unnest($dates::date[]))
),

-- Each customer's lines per category up to each period end: the category of most of them (ties: the first by name)
-- is the customer's at that period, so that a stored period's split does not move when later data arrives. Each
-- line is joined to every period end on or after it: build_for_dates (pipelines/warehouse/profit_tables.py) passes
-- one date at a time, for which this is a single pass over the lines up to it.
category_lines as (
    select transactions.customer_id, periods.period_start, transactions.category, count(*) as lines
    from staging.transactions as transactions
    inner join periods on transactions.order_date::date <= periods.period_end
    group by all
),

main_categories as (
    select customer_id, period_start, first(category order by lines desc, category) as main_category
    from category_lines
    group by all
),

members as (
    select
        segments.customer_id,
        segments.segment,
        periods.period_start,
        periods.period_end,
        coalesce(customers.acquisition_channel, '(none)') as channel,
        coalesce(segments.region, customers.main_region, '(none)') as region,
        coalesce(main_categories.main_category, '(none)') as category
    from profit.customer_segments as segments
    inner join periods on segments.period_end = periods.period_end
    inner join staging.customers as customers on customers.customer_id = segments.customer_id
    left join main_categories
        on main_categories.customer_id = segments.customer_id and main_categories.period_start = periods.period_start
),

member_profit as (
    select members.*, profit.* exclude (customer_id, period_start, period_end)
    from members
    left join (select * from profit.customer_profit where period_start in (select period_start from periods)) as profit
        using (customer_id, period_start)
),

by_dimension as (
    select
        member_profit.*,
        dimensions.dimension,
        case dimensions.dimension when 'channel' then channel when 'region' then region else category end as value
    from member_profit
    cross join (values ('channel'), ('region'), ('category')) as dimensions(dimension)
),

final as (
    select
        segment,
        period_start,
        any_value(period_end) as period_end,
        dimension,
        value,
        count(*) as customers,
        count(*) filter (where orders > 0) as active_customers,
        coalesce(sum(revenue), 0) as revenue,
        coalesce(sum(cogs), 0) as cogs,
        coalesce(sum(cost_to_serve), 0) as cost_to_serve,
        coalesce(sum(refunds), 0) as refunds,
        coalesce(sum(returns_cost), 0) as returns_cost,
        coalesce(sum(marketing_cost), 0) as marketing_cost,
        coalesce(sum(contribution), 0) as contribution,
        coalesce(sum(overhead_cost), 0) as overhead_cost,
        coalesce(sum(profit_after_overhead), 0) as profit_after_overhead,
        sum(refunds) / nullif(sum(revenue), 0) as returns_rate,
        $costs_assumed as costs_assumed
    from by_dimension
    group by segment, period_start, dimension, value
)

select * from final
