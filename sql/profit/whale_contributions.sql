-- Work table: each customer's contribution per window and scope, ranked most profitable first: the periods ending on
-- $dates, and the trailing twelve months to $as_of.
create or replace temp table _whale as
-- Each period is a window of its own (customer_profit is already one row per customer and period);
-- the trailing twelve months add up the periods they cover. No range join.
with last_twelve_months as (
    select
        greatest($trailing_start::date, min(period_start)) as period_start,
        $as_of::date as period_end
    from profit.customer_profit
),

per_window as (
    select 'period' as window_name, period_start, period_end, customer_id, contribution
    from profit.customer_profit
    where period_end in (select unnest($dates::date[]))
    union all
    select 'trailing_12_months', t.period_start, t.period_end, p.customer_id, sum(p.contribution)
    from profit.customer_profit as p
    cross join last_twelve_months as t
    where p.period_start >= t.period_start and p.period_end <= t.period_end
    group by all
),

scoped as (
    select per_window.*, segments.segment
    from per_window
    inner join (select customer_id, period_end, segment from profit.customer_segments
                where period_end in (select unnest($dates::date[])) or period_end = $as_of::date) as segments
        on segments.customer_id = per_window.customer_id and segments.period_end = per_window.period_end
),

both_scopes as (
    select 'all' as scope, * exclude (segment) from scoped
    union all
    select segment as scope, * exclude (segment) from scoped
),

final as (
    select
        *,
        row_number() over w as rank,
        count(*) over (partition by scope, window_name, period_start) as n,
        sum(contribution) over w as cumulative,
        sum(contribution) over (partition by scope, window_name, period_start) as total
    from both_scopes
    window w as (partition by scope, window_name, period_start order by contribution desc, customer_id
                 rows between unbounded preceding and current row)
)

select * from final
