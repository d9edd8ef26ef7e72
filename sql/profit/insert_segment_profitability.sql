-- The rows of profit.segment_profitability at the period ends $dates: customer P&L and CLV summed by the segment each
-- customer is in at the period end, and the prior date's members counted by what became of them.
with periods as (
    select distinct period_start, period_end
    from profit.customer_profit
    where period_end in (select unnest($dates::date[]))
),

dates as (
    select period_end, lag(period_end) over (order by period_end) as prior_date
    from (select distinct period_end from profit.customer_segments)
),

-- the dates' and their prior dates' rows only (each table holds every date)
wanted as (
    select period_end as day from periods
    union
    select dates.prior_date from dates inner join periods using (period_end) where dates.prior_date is not null
),

segments as (
    select * from profit.customer_segments where period_end in (select day from wanted)
),

members as (
    select
        segments.customer_id,
        segments.segment,
        periods.period_start,
        periods.period_end,
        dates.prior_date,
        prior.segment as prior_segment,
        clv.clv,
        customers.first_purchase
    from segments
    inner join periods on segments.period_end = periods.period_end
    inner join dates on dates.period_end = segments.period_end
    left join segments as prior
        on prior.customer_id = segments.customer_id and prior.period_end = dates.prior_date
    left join (select customer_id, period_end, clv from clv.customer_clv where period_end in (select period_end from periods)) as clv
        on clv.customer_id = segments.customer_id and clv.period_end = segments.period_end
    inner join staging.customers as customers on customers.customer_id = segments.customer_id
),

member_profit as (
    select members.*, profit.* exclude (customer_id, period_start, period_end)
    from members
    left join (select * from profit.customer_profit where period_start in (select period_start from periods)) as profit
        using (customer_id, period_start)
),

per_segment as (
    select
        segment,
        period_start,
        any_value(period_end) as period_end,
        count(*) as customers,
        count(*) filter (where orders > 0) as active_customers,
        count(*) filter (where first_purchase >= period_start) as new_customers,
        coalesce(sum(revenue), 0) as revenue,
        coalesce(sum(cogs), 0) as cogs,
        coalesce(sum(cost_to_serve), 0) as cost_to_serve,
        coalesce(sum(refunds), 0) as refunds,
        coalesce(sum(returns_cost), 0) as returns_cost,
        coalesce(sum(marketing_cost), 0) as marketing_cost,
        coalesce(sum(contribution), 0) as contribution,
        coalesce(sum(overhead_cost), 0) as overhead_cost,
        coalesce(sum(profit_after_overhead), 0) as profit_after_overhead,
        coalesce(sum(clv), 0) as customer_equity
    from member_profit
    group by segment, period_start
),

prior_counts as (
    select
        prior_segment as segment,
        period_start,
        count(*) as prior_customers,
        count(*) filter (where segment = $lapsed and prior_segment <> $lapsed) as lost_customers,
        count(*) filter (where segment = prior_segment) as retained_customers,
        count(*) filter (where orders > 0) as repeat_customers
    from member_profit
    where prior_segment is not null
    group by prior_segment, period_start
),

final as (
    select
        coalesce(s.segment, p.segment) as segment,
        coalesce(s.period_start, p.period_start) as period_start,
        coalesce(s.period_end, (select period_end from periods where period_start = p.period_start)) as period_end,
        coalesce(s.customers, 0) as customers,
        coalesce(s.active_customers, 0) as active_customers,
        coalesce(s.new_customers, 0) as new_customers,
        coalesce(p.prior_customers, 0) as prior_customers,
        coalesce(p.lost_customers, 0) as lost_customers,
        coalesce(p.retained_customers, 0) as retained_customers,
        coalesce(p.repeat_customers, 0) as repeat_customers,
        case when coalesce(s.segment, p.segment) <> $lapsed and p.prior_customers > 0
            then p.retained_customers / p.prior_customers end as retention_rate,
        case when coalesce(s.segment, p.segment) <> $lapsed and p.prior_customers > 0
            then p.repeat_customers / p.prior_customers end as repeat_purchase_rate,
        coalesce(s.revenue, 0) as revenue,
        coalesce(s.cogs, 0) as cogs,
        coalesce(s.cost_to_serve, 0) as cost_to_serve,
        coalesce(s.refunds, 0) as refunds,
        coalesce(s.returns_cost, 0) as returns_cost,
        s.refunds / nullif(s.revenue, 0) as returns_rate,
        coalesce(s.marketing_cost, 0) as marketing_cost,
        coalesce(s.contribution, 0) as contribution,
        coalesce(s.overhead_cost, 0) as overhead_cost,
        coalesce(s.profit_after_overhead, 0) as profit_after_overhead,
        s.contribution / nullif(s.customers, 0) as contribution_per_customer,
        s.contribution / nullif(sum(s.contribution) over (partition by coalesce(s.period_start, p.period_start)), 0) as share_of_contribution,
        coalesce(s.customer_equity, 0) as customer_equity,
        case when s.segment is null then 0 else equity.equity_low end::decimal(18, 2) as customer_equity_low,
        case when s.segment is null then 0 else equity.equity_high end::decimal(18, 2) as customer_equity_high,
        s.customer_equity / nullif(s.customers, 0) as average_clv,
        $costs_assumed as costs_assumed
    from per_segment as s
    full outer join prior_counts as p using (segment, period_start)
    left join _segment_equity_intervals as equity
        on equity.segment = s.segment and equity.period_end = s.period_end
)

select * from final
