-- What a run did with the source files: read (loaded), left unchanged, removed with their rows.
select
    count(*) filter (where removed_at is null and run_id is not distinct from $run_id) as read,
    count(*) filter (where removed_at is null and run_id is distinct from $run_id) as unchanged,
    count(*) filter (where removed_at is not null and run_id is not distinct from $run_id) as removed
from meta.source_files
