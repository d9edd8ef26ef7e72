insert into meta.runs
select
    $run_id, $started_at, $finished_at, $config_file, $config_hash,
    (select min(order_date) from staging.transactions),
    (select max(order_date) from staging.transactions),
    $as_of::date,
    $row_counts::json,
    $segprof_version
