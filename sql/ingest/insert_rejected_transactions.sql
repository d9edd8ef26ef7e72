-- Rejected records of one source into the quarantine, with their reason.
select
    $source as source,
    source_file,
    line_number,
    coalesce(
        raw_record,
        json_object(
            'customer_id', customer_id, 'order_id', order_id, 'order_date', order_date_raw,
            'amount', amount_raw, 'quantity', quantity_raw, 'unit_cost', unit_cost_raw
        )::varchar
    ) as raw_record,
    reason,
    $loaded_at as rejected_at
from _validated
where reason is not null
