-- Invariants of clv.customer_clv at an as-of date: one row per scored customer, valid ranges.
with scored as (
    select * from clv.customer_clv where period_end = $as_of::date
),

rfm as (
    select customer_id from clv.customer_rfm where period_end = $as_of::date
)

select
    (select count(*) from rfm) as customers,
    (select count(*) from scored) as rows,
    (select count(distinct customer_id) from scored) as distinct_customers,
    (select count(*) from rfm anti join scored using (customer_id)) as missing,
    (select count(*) from scored where p_alive < 0 or p_alive > 1 or isnan(p_alive)) as p_alive_out_of_range,
    (select count(*) from scored where clv < 0) as negative_clv,
    (select count(*) from scored where not isfinite(expected_purchases) or expected_purchases < 0) as bad_expected_purchases
