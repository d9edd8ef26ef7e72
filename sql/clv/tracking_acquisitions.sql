-- The tracking plot's cohort: customers acquired by the calibration end, by first purchase day
-- (days from the first transaction day).
with firsts as (
    select
        customer_id,
        min(order_date) as first_purchase
    from staging.transactions
    group by customer_id
),

final as (
    select
        first_purchase - $first_date::date as acquisition_day,
        count(*)::bigint as customers
    from firsts
    where first_purchase <= $calibration_end::date
    group by all
)

select * from final
order by acquisition_day
