-- This run's row of meta.runs, written by name by the table writer (pipelines/warehouse/database.py: write).
select
    $run_id as run_id,
    $started_at as started_at,
    $finished_at as finished_at,
    $config_file as config_file,
    $config_hash as config_hash,
    (select min(order_date) from staging.transactions) as first_transaction,
    (select max(order_date) from staging.transactions) as last_transaction,
    $as_of::date as as_of_date,
    $row_counts::json as row_counts,
    $segprof_version as segprof_version,
    (
        select coalesce(list(period_start order by period_start) filter (where inputs_changed), [])
        from meta.period_fingerprints
        having count(published_fingerprint) > 0  -- null when there was nothing to compare with
    ) as inputs_changed,
    (select coalesce(list(period_start order by period_start) filter (where restated), []) from meta.period_fingerprints) as restated,
    (select max(restatement_reason) from meta.period_fingerprints where restated) as restatement_reason,
    (select coalesce(list(period_start order by period_start) filter (where recompute), []) from meta.period_fingerprints) as periods_computed,
    (select max(run_id) from meta.period_fingerprints) as ingest_run_id  -- the last ingest: it planned this run
