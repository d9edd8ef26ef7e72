-- rfm(as_of, days_per_unit): per-customer RFM at a date, with lifetimes' definitions at day level.
-- Several orders on one day are one purchase (their amounts summed); frequency counts repeat
-- purchase days; recency and t are days / days_per_unit; monetary_value is the mean value of
-- the repeat purchase days (0 without repeats). Returns and zero amounts count as they are.
create or replace temp macro rfm(as_of, days_per_unit) as table
with transactions as (
    select customer_id, order_date, amount
    from staging.transactions
    where order_date <= as_of
),

purchase_days as (
    select customer_id, order_date, sum(amount) as day_amount
    from transactions
    group by customer_id, order_date
),

per_customer as (
    select
        customer_id,
        count(*) - 1 as frequency,
        min(order_date) as first_purchase,
        max(order_date) as last_purchase,
        sum(day_amount) as total_amount,
        arg_min(day_amount, order_date) as first_day_amount
    from purchase_days
    group by customer_id
),

final as (
    select
        customer_id,
        as_of::date as as_of_date,
        frequency,
        (last_purchase - first_purchase) / days_per_unit as recency,
        (as_of::date - first_purchase) / days_per_unit as t,
        case when frequency > 0 then ((total_amount - first_day_amount) / frequency)::double else 0 end as monetary_value,
        first_purchase,
        last_purchase
    from per_customer
)

select * from final
