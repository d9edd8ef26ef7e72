-- Fallback spend per purchase when Gamma-Gamma cannot be fitted: mean positive purchase-day value.
select avg(day_amount)::double as mean_value
from (
    select customer_id, order_date, sum(amount) as day_amount
    from staging.transactions
    where order_date <= $as_of::date
    group by customer_id, order_date
)
where day_amount > 0
