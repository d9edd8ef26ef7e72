-- The shards' quarantined records into staging.rejected_transactions.
select * from read_parquet($files::varchar[])
order by source, source_file, line_number
