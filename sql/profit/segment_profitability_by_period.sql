-- profit.segment_profitability summed per period, to compare with the ledger and customer P&L.
select
    period_start,
    sum(revenue) as revenue,
    sum(cogs) as cogs,
    sum(cost_to_serve) as cost_to_serve,
    sum(returns_cost) as returns_cost,
    sum(marketing_cost) as marketing_cost,
    sum(contribution) as contribution
from profit.segment_profitability
group by all
order by period_start
