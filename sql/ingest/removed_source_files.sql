-- Files a run found gone from their source: their rows were removed from staging.
select source, source_file, records_read, accepted, rejected
from meta.source_files
where removed_at is not null and run_id is not distinct from $run_id
order by source, source_file
