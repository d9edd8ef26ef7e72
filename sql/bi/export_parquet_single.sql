copy (select * from query_table($table)) to $path (format parquet)
