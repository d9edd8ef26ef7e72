-- The analysis date (configured, or the last transaction day) and the first transaction day, over every shard.
select
    coalesce($as_of::date, max(order_date)) as as_of_date,
    min(order_date) as first_date
from read_parquet($files::varchar[])
