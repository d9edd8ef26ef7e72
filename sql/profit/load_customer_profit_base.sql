-- _customer_profit_base gathered from the shards' Parquet files.
create or replace temp table _customer_profit_base as
select * from read_parquet($files::varchar[])
