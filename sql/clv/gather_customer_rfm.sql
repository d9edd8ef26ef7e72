-- The shards' RFM rows at $dates into clv.customer_rfm (replacing the same dates).
select * from read_parquet($files::varchar[])
where period_end in (select unnest($dates::date[]))
order by period_end, customer_id
