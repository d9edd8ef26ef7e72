-- The trailing-twelve-month whale curve headline for all customers and each segment.
select scope, customers, total_contribution, peak_contribution, round(peak_share, 3) as peak_share,
    round(share_for_all_profit, 3) as share_for_all_profit, round(unprofitable_share, 3) as unprofitable_share, unprofitable_cost
from profit.whale_curve_summary
where window_name = 'trailing_12_months'
order by scope = 'all' desc, scope
