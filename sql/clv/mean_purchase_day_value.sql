-- Fallback spend per purchase when Gamma-Gamma cannot be fitted: mean positive purchase-day value, valued and
-- counted under the purchase-day policy (customer_days in sql/clv/rfm.sql).
select avg(day_amount)::double as mean_value
from customer_days($as_of::date, $purchase_day, line_days := $line_days)
where is_purchase and day_amount > 0
