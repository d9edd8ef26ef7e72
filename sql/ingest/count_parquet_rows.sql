select count(*) as records from read_parquet($files, union_by_name = true)
