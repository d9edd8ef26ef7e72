-- The shards' accepted transactions into staging.transactions (after clear_transactions, in one transaction).
insert into staging.transactions
select * from read_parquet($files::varchar[])
order by source, source_file, line_number
