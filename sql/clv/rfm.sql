-- rfm(dates, days_per_unit): per-customer RFM at each date of a list, with lifetimes' definitions at day
-- level, from one pass over the purchase days. Several orders on one day are one purchase (their amounts
-- summed); frequency counts repeat purchase days; recency and t are days / days_per_unit;
-- monetary_value is the mean value of the repeat purchase days (0 without repeats). Returns and zero
-- amounts count as they are.
create or replace temp macro rfm(dates, days_per_unit) as table
with scoring_dates as (
    select unnest(dates::date[]) as as_of_date
),

purchase_days as (
    select customer_id, order_date, sum(amount) as day_amount
    from staging.transactions
    where order_date <= (select max(as_of_date) from scoring_dates)
    group by customer_id, order_date
),

firsts as (
    select customer_id, min(order_date) as first_purchase, arg_min(day_amount, order_date) as first_day_amount
    from purchase_days
    group by customer_id
),

per_date as (
    select
        scoring_dates.as_of_date,
        purchase_days.customer_id,
        count(*) - 1 as frequency,
        max(purchase_days.order_date) as last_purchase,
        sum(purchase_days.day_amount) as total_amount
    from purchase_days
    inner join scoring_dates on purchase_days.order_date <= scoring_dates.as_of_date
    group by scoring_dates.as_of_date, purchase_days.customer_id
),

final as (
    select
        per_date.customer_id,
        per_date.as_of_date,
        per_date.frequency,
        (per_date.last_purchase - firsts.first_purchase) / days_per_unit as recency,
        (per_date.as_of_date - firsts.first_purchase) / days_per_unit as t,
        case when per_date.frequency > 0
            then ((per_date.total_amount - firsts.first_day_amount) / per_date.frequency)::double
            else 0 end as monetary_value,
        firsts.first_purchase,
        per_date.last_purchase
    from per_date
    inner join firsts using (customer_id)
)

select * from final
