-- Each segment's customer equity interval at every period end, for the scorecard pages.
select segment, period_end, customer_equity_low, customer_equity_high
from profit.segment_profitability
