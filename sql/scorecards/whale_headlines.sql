-- The headline figures of the whale curve of the window $window_name ending on $as_of, per scope.
select *
from profit.whale_curve_summary
where window_name = $window_name and period_end = $as_of
order by scope
