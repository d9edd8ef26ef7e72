copy (select * from query_table($table)) to $path (format parquet, partition_by (period_end), overwrite_or_ignore)
