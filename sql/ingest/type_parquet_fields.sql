-- Read the mapped columns of Parquet files (the double-brace slots are config column names, quoted, or
-- null when not mapped) and type them; null where a value does not convert.
insert into _typed
select
    filename as source_file,
    file_row_number + 1 as line_number,
    null as raw_record,
    null as parse_error,
    nullif(trim({{ customer_id }}::varchar), '') as customer_id,
    nullif(trim({{ order_id }}::varchar), '') as order_id,
    {{ order_date }}::varchar as order_date_raw,
    case
        when $date_format::varchar is null then try_cast({{ order_date }} as timestamp)
        else try_strptime({{ order_date }}::varchar, $date_format::varchar)
    end as order_ts,
    {{ amount }}::varchar as amount_raw,
    try_cast({{ amount }} as double) as amount,
    {{ quantity }}::varchar as quantity_raw,
    case
        when {{ quantity }} is null and $quantity_mapped = false then $default_quantity
        else try_cast({{ quantity }} as integer)
    end as quantity,
    coalesce(nullif(trim({{ channel }}::varchar), ''), $default_channel) as channel,
    coalesce(nullif(trim({{ region }}::varchar), ''), $default_region) as region,
    coalesce(nullif(trim({{ category }}::varchar), ''), $default_category) as category,
    {{ unit_cost }}::varchar as unit_cost_raw,
    try_cast({{ unit_cost }} as double) as unit_cost
from read_parquet($files, filename = true, file_row_number = true, union_by_name = true)
