delete from clv.customer_clv where as_of_date in (select unnest($dates::date[]))
