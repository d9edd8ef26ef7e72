-- Accepted records of one source into staging.transactions.
select
    $source as source,
    source_file,
    line_number,
    customer_id,
    coalesce(order_id, $source || ':' || parse_filename(source_file) || ':' || line_number) as order_id,
    order_ts,
    order_ts::date as order_date,
    amount::decimal(18, 2) as amount,
    quantity,
    channel,
    region,
    category,
    unit_cost::decimal(18, 2) as unit_cost,
    $loaded_at as loaded_at
from _validated
where reason is null
