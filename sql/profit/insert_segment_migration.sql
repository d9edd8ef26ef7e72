-- The rows of profit.segment_migration, written by name by the table writer (pipelines/warehouse/database.py: write).
with dates as (
    select as_of_date, lag(as_of_date) over (order by as_of_date) as prior_date
    from (select distinct as_of_date from profit.customer_segments)
),

moves as (
    select
        coalesce(prior.segment, 'new') as from_segment,
        current.segment as to_segment,
        dates.prior_date as from_date,
        current.as_of_date as to_date,
        clv.clv,
        profit.contribution
    from profit.customer_segments as current
    inner join dates on dates.as_of_date = current.as_of_date
    left join profit.customer_segments as prior
        on prior.customer_id = current.customer_id and prior.as_of_date = dates.prior_date
    left join clv.customer_clv as clv
        on clv.customer_id = current.customer_id and clv.as_of_date = current.as_of_date
    left join profit.customer_profit as profit
        on profit.customer_id = current.customer_id and profit.period_end = current.as_of_date
),

final as (
    select
        from_segment,
        to_segment,
        any_value(from_date) as from_date,
        to_date,
        count(*) as customers,
        coalesce(sum(clv), 0) as clv_moved,
        coalesce(sum(contribution), 0) as contribution_moved,
        $costs_assumed as costs_assumed
    from moves
    group by from_segment, to_segment, to_date
)

select * from final
