-- The rows of profit.segment_equity_bridge at the period ends $dates: every customer at the start and end of each
-- period, paired, and their CLV summed by the flow they make (written by name by the table writer).
with periods as (
    select distinct period_start, period_end
    from profit.customer_profit
    where period_end in (select unnest($dates::date[]))
),

dates as (
    select period_end, lag(period_end) over (order by period_end) as prior_date
    from (select distinct period_end from profit.customer_segments)
),

spans as (
    select periods.period_start, periods.period_end, dates.prior_date as start_date
    from periods
    inner join dates on dates.period_end = periods.period_end
),

-- the spans' start and end dates' rows only (each table holds every date)
span_dates as (
    select period_end as day from spans union select start_date from spans
),

members as (
    select segments.customer_id, segments.period_end, segments.segment, coalesce(clv.clv, 0) as clv
    from profit.customer_segments as segments
    left join (select customer_id, period_end, clv from clv.customer_clv where period_end in (select day from span_dates)) as clv
        using (customer_id, period_end)
    where segments.period_end in (select day from span_dates)
),

at_start as (
    select spans.period_start, members.customer_id, members.segment, members.clv
    from spans
    inner join members on members.period_end = spans.start_date
),

at_end as (
    select spans.period_start, members.customer_id, members.segment, members.clv
    from spans
    inner join members on members.period_end = spans.period_end
),

paired as (
    select
        period_start,
        at_start.segment as start_segment,
        at_end.segment as end_segment,
        coalesce(at_start.clv, 0) as start_clv,
        coalesce(at_end.clv, 0) as end_clv
    from at_start
    full outer join at_end using (period_start, customer_id)
),

outflows as (
    select
        start_segment as segment,
        period_start,
        count(*) as start_customers,
        sum(start_clv) as start_equity,
        count(*) filter (where end_segment = $lapsed and start_segment <> $lapsed) as lapsed_customers,
        coalesce(sum(start_clv) filter (where end_segment = $lapsed and start_segment <> $lapsed), 0) as lapsed,
        count(*) filter (where end_segment <> start_segment and end_segment <> $lapsed) as migrated_out_customers,
        coalesce(sum(start_clv) filter (where end_segment <> start_segment and end_segment <> $lapsed), 0) as migrated_out,
        count(*) filter (where end_segment = start_segment) as stayers,
        coalesce(sum(end_clv - start_clv) filter (where end_segment = start_segment), 0) as value_change
    from paired
    where start_segment is not null
    group by all
),

inflows as (
    select
        end_segment as segment,
        period_start,
        count(*) as end_customers,
        sum(end_clv) as end_equity,
        count(*) filter (where start_segment is null) as acquired_customers,
        coalesce(sum(end_clv) filter (where start_segment is null), 0) as acquired,
        count(*) filter (where start_segment <> end_segment) as migrated_in_customers,
        coalesce(sum(end_clv) filter (where start_segment <> end_segment), 0) as migrated_in
    from paired
    where end_segment is not null
    group by all
),

final as (
    select
        segment,
        period_start,
        spans.period_end,
        spans.start_date,
        coalesce(o.start_customers, 0) as start_customers,
        coalesce(o.start_equity, 0) as start_equity,
        coalesce(i.acquired_customers, 0) as acquired_customers,
        coalesce(i.acquired, 0) as acquired,
        coalesce(o.lapsed_customers, 0) as lapsed_customers,
        coalesce(o.lapsed, 0) as lapsed,
        coalesce(o.migrated_out_customers, 0) as migrated_out_customers,
        coalesce(o.migrated_out, 0) as migrated_out,
        coalesce(i.migrated_in_customers, 0) as migrated_in_customers,
        coalesce(i.migrated_in, 0) as migrated_in,
        coalesce(o.stayers, 0) as stayers,
        coalesce(o.value_change, 0) as value_change,
        coalesce(i.end_customers, 0) as end_customers,
        coalesce(i.end_equity, 0) as end_equity
    from outflows as o
    full outer join inflows as i using (segment, period_start)
    inner join spans using (period_start)
)

select * from final
