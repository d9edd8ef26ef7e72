-- profit.customer_profit summed per period, to compare with the ledger.
select
    period_start,
    sum(revenue) as revenue,
    sum(refunds) as refunds,
    sum(revenue) - sum(refunds) as net_amount,
    sum(sale_lines) as sale_lines,
    sum(return_lines) as return_lines,
    sum(cogs) as cogs,
    sum(cost_to_serve) as cost_to_serve,
    sum(returns_cost) as returns_cost,
    sum(marketing_cost) as marketing_cost,
    sum(contribution) as contribution
from profit.customer_profit
group by all
order by period_start
