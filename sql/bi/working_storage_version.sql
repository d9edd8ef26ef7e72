-- The storage format of the working warehouse, e.g. 'v1.2.0+' (a file keeps the format it was created in).
select tags['storage_version'] as storage_version
from duckdb_databases()
where database_name = current_database()
