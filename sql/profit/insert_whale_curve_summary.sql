-- The rows of profit.whale_curve_summary for the window $window_name, written by name by the table writer (pipelines/warehouse/database.py: write).
select
    scope,
    window_name,
    period_start,
    any_value(period_end) as period_end,
    count(*) as customers,
    sum(contribution) as total_contribution,
    coalesce(sum(contribution) filter (where contribution > 0), 0) as peak_contribution,
    coalesce(sum(contribution) filter (where contribution > 0), 0) / nullif(sum(contribution), 0) as peak_share,
    case when sum(contribution) > 0 then min(rank) filter (where cumulative >= total) end as customers_for_all_profit,
    case when sum(contribution) > 0 then min(rank) filter (where cumulative >= total) / count(*) end as share_for_all_profit,
    count(*) filter (where contribution < 0) as unprofitable_customers,
    count(*) filter (where contribution < 0) / count(*) as unprofitable_share,
    coalesce(-sum(contribution) filter (where contribution < 0), 0) as unprofitable_cost,
    $costs_assumed as costs_assumed
from _whale
where window_name = $window_name
group by scope, window_name, period_start
