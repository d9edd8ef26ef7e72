-- Pick the mapped fields of parsed text/csv records by position ($<field> = 1-based index,
-- null when the source does not map the field) and type them; null where a value does not parse.
insert into _typed
select
    source_file,
    line_number,
    raw_record,
    parse_error,
    nullif(trim(fields[$customer_id]), '') as customer_id,
    nullif(trim(fields[$order_id]), '') as order_id,
    fields[$order_date] as order_date_raw,
    case
        when $date_format::varchar is null then try_cast(trim(fields[$order_date]) as timestamp)
        else try_strptime(trim(fields[$order_date]), $date_format::varchar)
    end as order_ts,
    fields[$amount] as amount_raw,
    try_cast(trim(fields[$amount]) as double) as amount,
    fields[$quantity] as quantity_raw,
    case
        when $quantity::integer is null then $default_quantity
        else try_cast(trim(fields[$quantity]) as integer)
    end as quantity,
    coalesce(nullif(trim(fields[$channel]), ''), $default_channel) as channel,
    coalesce(nullif(trim(fields[$region]), ''), $default_region) as region,
    coalesce(nullif(trim(fields[$category]), ''), $default_category) as category,
    fields[$unit_cost] as unit_cost_raw,
    try_cast(trim(fields[$unit_cost]) as double) as unit_cost
from _parsed
