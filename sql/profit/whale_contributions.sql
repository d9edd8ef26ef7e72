-- Work table: each customer's contribution per window and scope, ranked most profitable first.
create or replace temp table _whale as
with windows as (
    select distinct 'period' as window_name, period_start, period_end from profit.customer_profit
    union all
    select
        'trailing_12_months',
        greatest((date_trunc('month', $as_of::date) - interval 11 month)::date, (select min(period_start) from profit.customer_profit)),
        $as_of::date
),

per_window as (
    select w.window_name, w.period_start, w.period_end, p.customer_id, sum(p.contribution) as contribution
    from windows as w
    inner join profit.customer_profit as p
        on p.period_start >= w.period_start and p.period_end <= w.period_end
    group by all
),

scoped as (
    select per_window.*, segments.segment
    from per_window
    inner join profit.customer_segments as segments
        on segments.customer_id = per_window.customer_id and segments.as_of_date = per_window.period_end
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
