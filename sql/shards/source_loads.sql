-- Per source, what the shards read, accepted and rejected, added up.
select
    source,
    max(files) as files,
    sum(records_read)::bigint as records_read,
    sum(accepted)::bigint as accepted,
    sum(rejected)::bigint as rejected
from read_parquet($files::varchar[])
group by source
order by source
