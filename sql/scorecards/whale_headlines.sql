select *
from profit.whale_curve_summary
where window_name = 'trailing_12_months'
order by scope
