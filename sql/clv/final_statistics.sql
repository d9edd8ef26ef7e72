-- What the final fits need, compressed: customers sharing RFM at the as-of date, counted (n).
select
    frequency,
    recency,
    t,
    monetary_value,
    count(*)::bigint as n
from clv.customer_rfm
where period_end = $as_of::date
group by all
order by all
