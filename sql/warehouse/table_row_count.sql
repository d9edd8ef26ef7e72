select count(*) as row_count from query_table($table)
