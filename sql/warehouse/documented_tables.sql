-- Every published table and view with its comment, in schema order.
select schema_name, table_name, comment, 'table' as kind
from duckdb_tables()
where schema_name in ('staging', 'clv', 'profit', 'scorecards', 'meta', 'bi') and not internal
union all
select schema_name, view_name, comment, 'view'
from duckdb_views()
where schema_name in ('staging', 'clv', 'profit', 'scorecards', 'meta', 'bi') and not internal
order by
    case schema_name when 'staging' then 1 when 'clv' then 2 when 'profit' then 3 when 'scorecards' then 4
        when 'bi' then 5 else 6 end,
    table_name
