delete from clv.customer_rfm where as_of_date = $as_of::date
