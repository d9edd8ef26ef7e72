-- Tables that a warehouse made by an earlier segprof still has with a primary key segprof no longer declares
-- (README, migration notes): profit.at_risk_customers had one on (customer_id, period_end), an index DuckDB holds in
-- memory to write to, which at tens of millions of transactions did not fit the memory limit. Its asset check now
-- keeps the rows unique.
select keys.schema_name, keys.table_name
from (values ('profit', 'at_risk_customers')) as keys(schema_name, table_name)
inner join duckdb_constraints() as constraints
    on constraints.database_name = current_database()
    and constraints.schema_name = keys.schema_name
    and constraints.table_name = keys.table_name
    and constraints.constraint_type = 'PRIMARY KEY'
order by all
