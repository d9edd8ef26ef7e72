-- The shards' RFM rows into clv.customer_rfm (replacing the same dates).
select * from read_parquet($files::varchar[])
order by as_of_date, customer_id
