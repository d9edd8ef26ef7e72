-- Files of the source that yielded no record at all (empty files are an error, not a no-op).
select file
from unnest($files::varchar[]) as t(file)
where file not in (select distinct source_file from _typed)
order by file
