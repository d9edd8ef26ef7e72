-- Read the mapped columns of Parquet files (the double-brace slots are config column names, quoted, or
-- null when not mapped) as text: they are typed by the same rules as text sources
-- (sql/ingest/validate_records.sql), so a DOUBLE 1.5 quantity is rejected, not rounded, and a
-- TIMESTAMPTZ keeps its offset.
insert into _typed by name
select
    filename as source_file,
    file_row_number + 1 as line_number,
    null as raw_record,
    null as parse_error,
    nullif(trim({{ customer_id }}::varchar), '') as customer_id,
    nullif(trim({{ order_id }}::varchar), '') as order_id,
    {{ order_date }}::varchar as order_date_raw,
    {{ amount }}::varchar as amount_raw,
    case when $quantity_mapped then {{ quantity }}::varchar else $default_quantity::varchar end as quantity_raw,
    coalesce(nullif(trim({{ channel }}::varchar), ''), $default_channel) as channel,
    coalesce(nullif(trim({{ region }}::varchar), ''), $default_region) as region,
    coalesce(nullif(trim({{ category }}::varchar), ''), $default_category) as category,
    {{ unit_cost }}::varchar as unit_cost_raw
from read_parquet($files, filename = true, file_row_number = true, union_by_name = true)
