-- The ledger per period, straight from staging.transactions: what customer and segment P&L must add up to.
select
    date_trunc($period, order_date)::date as period_start,
    sum(amount) filter (where amount > 0) as revenue,
    coalesce(-sum(amount) filter (where amount < 0), 0) as refunds,
    sum(amount) as net_amount,
    count(*) filter (where amount > 0) as sale_lines,
    count(*) filter (where amount < 0) as return_lines
from staging.transactions
where order_date <= $as_of::date
group by all
order by period_start
