-- The window $window_name's rows: one point per percent of customers (the last customer within each percent),
-- plus the origin.
with points as (
    select
        scope, window_name, period_start, period_end,
        ceil(rank * 100.0 / n) / 100 as customer_share,
        max(rank) as customers,
        arg_max(cumulative, rank) as cumulative_contribution,
        any_value(total) as total
    from _whale
    where window_name = $window_name
    group by all
),

origin as (
    select distinct scope, window_name, period_start, period_end, 0.0 as customer_share, 0 as customers,
        0 as cumulative_contribution, total
    from _whale
    where window_name = $window_name
)

select
    scope, window_name, period_start, period_end, customer_share, customers, cumulative_contribution,
    cumulative_contribution / nullif(total, 0) as cumulative_share,
    $costs_assumed as costs_assumed
from (select * from points union all select * from origin)
