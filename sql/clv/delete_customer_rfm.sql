delete from clv.customer_rfm where as_of_date in (select unnest($dates::date[]))
