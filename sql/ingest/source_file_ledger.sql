-- One source's rows of the ingest ledger (meta.source_files), removed files included.
select *
from meta.source_files
where source = $source
order by source_file
