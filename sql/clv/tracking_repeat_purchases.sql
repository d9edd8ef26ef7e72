-- The tracking plot's actuals: repeat purchase days of the customers acquired by the calibration end, by week
-- from the first transaction day (week 1 = days 0-6) up to the holdout end. Days counted as RFM counts them
-- (customer_days in sql/clv/rfm.sql): the first day with a line is the first purchase, later purchase days repeats.
with days as (
    select
        customer_id,
        order_date,
        is_purchase
    from customer_days($holdout_end::date, $purchase_day)
),

with_first as (
    select
        customer_id,
        order_date,
        is_purchase,
        min(order_date) over (partition by customer_id) as first_purchase
    from days
),

final as (
    select
        ((order_date - $first_date::date) // 7 + 1)::integer as week,
        count(*)::bigint as repeat_purchases
    from with_first
    where is_purchase and order_date > first_purchase and first_purchase <= $calibration_end::date
    group by all
)

select * from final
order by week
