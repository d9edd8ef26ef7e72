-- Compressed statistics of several shards merged: rows with the same values summed (n).
select
    * exclude (n),
    sum(n)::bigint as n
from read_parquet($files::varchar[])
group by all
order by all
