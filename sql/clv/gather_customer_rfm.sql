-- The shards' RFM rows at $dates into clv.customer_rfm (replacing the same dates).
select * from read_parquet($files::varchar[])
where as_of_date in (select unnest($dates::date[]))
order by as_of_date, customer_id
