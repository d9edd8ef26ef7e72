select customer_id, period_end, frequency, recency, t, monetary_value, sales_value, returned_value, purchase_day
from clv.customer_rfm
where period_end in (select unnest($dates::date[]))
order by period_end, customer_id
