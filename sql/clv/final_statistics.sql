-- What the final fits need, compressed: customers sharing RFM at the as-of date and fit group (sql/clv/fit_groups.sql), counted (n).
select
    frequency,
    recency,
    t,
    monetary_value,
    count(*)::bigint as n,
    fit_group
from clv.customer_rfm
left join _fit_groups using (customer_id)
where period_end = $as_of::date
group by all
order by all
