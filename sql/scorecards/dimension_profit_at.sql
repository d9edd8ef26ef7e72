-- Each segment's P&L by channel, region and category for the period ending $as_of, most contribution first.
select segment, dimension, value, customers, active_customers, revenue, contribution, profit_after_overhead, returns_rate
from profit.segment_dimension_profit
where period_end = $as_of::date
order by segment, dimension, contribution desc, value
