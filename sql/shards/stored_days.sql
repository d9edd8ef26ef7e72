-- The distinct days the shards' Parquet files hold in one date column.
select distinct {{ column }} as day from read_parquet($files::varchar[])
