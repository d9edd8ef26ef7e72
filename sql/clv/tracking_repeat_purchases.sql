-- The tracking plot's actuals: repeat purchase days of the customers acquired by the calibration end, by week
-- from the first transaction day (week 1 = days 0-6) up to the holdout end. Days counted as RFM counts them.
with purchase_days as (
    select distinct
        customer_id,
        order_date
    from staging.transactions
    where order_date <= $holdout_end::date
),

with_first as (
    select
        customer_id,
        order_date,
        min(order_date) over (partition by customer_id) as first_purchase
    from purchase_days
),

final as (
    select
        ((order_date - $first_date::date) // 7 + 1)::integer as week,
        count(*)::bigint as repeat_purchases
    from with_first
    where order_date > first_purchase and first_purchase <= $calibration_end::date
    group by all
)

select * from final
order by week
