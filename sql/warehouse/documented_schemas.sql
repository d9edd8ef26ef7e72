-- The published schemas and what they hold (meta.schemas), in schema order.
select schema_name, description
from meta.schemas
order by
    case schema_name when 'staging' then 1 when 'clv' then 2 when 'profit' then 3 when 'scorecards' then 4
        when 'bi' then 5 else 6 end
