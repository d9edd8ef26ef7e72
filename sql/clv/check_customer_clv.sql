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
    (select count(*) from scored where clv < 0 and value_basis is distinct from 'profit') as negative_clv,
    -- clv is its documented formula (docs/clv.md), to the cent it is rounded to
    (select count(*) from scored where abs(clv - (discounted_purchases * (gross_margin_per_order - cost_to_serve_per_order
        - returns_cost_per_order) - expected_marketing_cost)) > 0.005 + 1e-9 * abs(clv)) as clv_not_its_formula,
    (select count(*) from scored where not isfinite(expected_purchases) or expected_purchases < 0) as bad_expected_purchases
