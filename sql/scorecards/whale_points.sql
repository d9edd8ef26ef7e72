select scope, customer_share, cumulative_share, cumulative_contribution
from profit.whale_curve
where window_name = 'trailing_12_months'
order by scope, customer_share
