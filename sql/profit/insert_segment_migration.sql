-- The rows of profit.segment_migration at the period ends $dates (from the date before each), written by name by the
-- table writer (pipelines/warehouse/database.py: write).
with dates as (
    select *
    from (
        select period_end, lag(period_end) over (order by period_end) as prior_date
        from (select distinct period_end from profit.customer_segments)
    )
    where period_end in (select unnest($dates::date[]))
),

-- the dates' and their prior dates' rows only (each table holds every date)
segments as (
    select * from profit.customer_segments
    where period_end in (select period_end from dates union select prior_date from dates)
),

moves as (
    select
        coalesce(prior.segment, 'new') as from_segment,
        current.segment as to_segment,
        dates.prior_date as start_date,
        current.period_end,
        clv.clv,
        profit.contribution
    from segments as current
    inner join dates on dates.period_end = current.period_end
    left join segments as prior
        on prior.customer_id = current.customer_id and prior.period_end = dates.prior_date
    left join (select customer_id, period_end, clv from clv.customer_clv where period_end in (select period_end from dates)) as clv
        on clv.customer_id = current.customer_id and clv.period_end = current.period_end
    left join (select customer_id, period_end, contribution from profit.customer_profit
               where period_end in (select period_end from dates)) as profit
        on profit.customer_id = current.customer_id and profit.period_end = current.period_end
),

final as (
    select
        from_segment,
        to_segment,
        any_value(start_date) as start_date,
        period_end,
        count(*) as customers,
        coalesce(sum(clv), 0) as clv_moved,
        coalesce(sum(contribution), 0) as contribution_moved,
        $costs_assumed as costs_assumed
    from moves
    group by from_segment, to_segment, period_end
)

select * from final
