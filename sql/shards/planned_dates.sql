-- The scoring dates of the run's plan, as the transactions step wrote them beside the shards.
select period_end from read_parquet($path)
