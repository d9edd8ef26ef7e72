-- Pick the mapped fields of parsed text/csv records by position ($<field> = 1-based index,
-- null when the source does not map the field); they are typed in sql/ingest/validate_records.sql.
insert into _typed by name
select
    source_file,
    line_number,
    raw_record,
    parse_error,
    nullif(trim(fields[$customer_id]), '') as customer_id,
    nullif(trim(fields[$order_id]), '') as order_id,
    fields[$order_date] as order_date_raw,
    fields[$amount] as amount_raw,
    case when $quantity::integer is null then $default_quantity::varchar else fields[$quantity] end as quantity_raw,
    coalesce(nullif(trim(fields[$channel]), ''), $default_channel) as channel,
    coalesce(nullif(trim(fields[$region]), ''), $default_region) as region,
    coalesce(nullif(trim(fields[$category]), ''), $default_category) as category,
    fields[$unit_cost] as unit_cost_raw
from _parsed
