-- The shards' RFM rows into clv.customer_rfm (after delete_customer_rfm for the same dates).
insert into clv.customer_rfm
select * from read_parquet($files::varchar[])
order by as_of_date, customer_id
