select current_database() as name, (select path from duckdb_databases() where database_name = current_database()) as path
