-- The whale curve of the window $window_name ('trailing_12_months' to the as-of date, or 'period') ending on $as_of.
select scope, customer_share, cumulative_share, cumulative_contribution
from profit.whale_curve
where window_name = $window_name and period_end = $as_of
order by scope, customer_share
