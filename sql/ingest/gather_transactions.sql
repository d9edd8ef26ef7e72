-- The shards' accepted transactions into staging.transactions (replacing every source, with the quarantine, in one transaction).
select * from read_parquet($files::varchar[])
order by source, source_file, line_number
