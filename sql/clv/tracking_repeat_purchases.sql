-- The tracking plot's actuals: repeat purchase days of the customers acquired by the calibration end, by week
-- from the first transaction day (week 1 = days 0-6) up to the holdout end. Days counted as RFM counts them
-- (customer_days in sql/clv/rfm.sql): the first day with a line is the first purchase, later purchase days repeats.
with days as (
    select
        customer_id,
        order_date,
        is_purchase
    from customer_days($holdout_end::date, $purchase_day, line_days := $line_days)
),

acquired as (
    select customer_id, min(order_date) as first_purchase
    from days
    group by customer_id
    having min(order_date) <= $calibration_end::date
),

final as (
    select
        ((days.order_date - $first_date::date) // 7 + 1)::integer as week,
        count(*)::bigint as repeat_purchases
    from days
    inner join acquired using (customer_id)
    where days.is_purchase and days.order_date > acquired.first_purchase
    group by all
)

select * from final
order by week
