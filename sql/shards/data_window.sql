-- The analysis date (configured, or the last transaction day), the first and the last transaction day, over every shard.
select
    coalesce($as_of::date, max(order_date)) as as_of_date,
    min(order_date) as first_date,
    max(order_date) as last_date
from read_parquet($files::varchar[])
