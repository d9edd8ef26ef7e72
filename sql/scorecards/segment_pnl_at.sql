-- Each segment's P&L statement for the period ending $as_of, down to profit after overhead.
select segment, revenue, cogs, cost_to_serve, refunds, returns_cost, returns_rate, marketing_cost, contribution, overhead_cost,
    profit_after_overhead
from profit.segment_profitability
where period_end = $as_of::date
order by segment
