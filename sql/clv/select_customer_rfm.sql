select customer_id, frequency, recency, t, monetary_value
from clv.customer_rfm
where as_of_date = $as_of::date
order by customer_id
