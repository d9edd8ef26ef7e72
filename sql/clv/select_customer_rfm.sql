select customer_id, as_of_date, frequency, recency, t, monetary_value, sales_value, returned_value, purchase_day
from clv.customer_rfm
where as_of_date in (select unnest($dates::date[]))
order by as_of_date, customer_id
