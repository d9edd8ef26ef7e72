-- One table or registered frame of a shard's in-memory warehouse to a Parquet file.
copy (select * from query_table($table)) to $path (format parquet, compression zstd)
