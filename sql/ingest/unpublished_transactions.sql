-- _unpublished_transactions: the rows of staging.transactions no published run has checked, i.e. all but those
-- a published run's load wrote and left unchanged (meta.source_files: a file's load, by its loaded_at, in a run
-- meta.runs lists as a publishing run or its ingest). That is this run's load and those of runs that stopped before
-- publishing; every row when the rows were gathered from shards (they carry the shards' load times) or loaded
-- outside Dagster (no run id).
create or replace temp view _unpublished_transactions as
with published_loads as (
    select source, source_file, loaded_at
    from meta.source_files
    where removed_at is null
        and run_id in (select run_id from meta.runs union all select ingest_run_id from meta.runs)
)

select transactions.*
from staging.transactions as transactions
anti join published_loads using (source, source_file, loaded_at)
