delete from clv.customer_clv where as_of_date = $as_of::date
