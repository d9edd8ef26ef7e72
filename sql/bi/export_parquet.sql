copy (select * from query_table($table)) to $path (format parquet, partition_by (as_of_date), overwrite_or_ignore)
