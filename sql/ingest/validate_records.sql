-- Give every typed record of one source its first failing check as `reason` (null = accepted).
-- Repeated order ids are marked afterwards (sql/ingest/mark_repeated_order_ids.sql).
create or replace temp table _validated as
select
    *,
    case
        when parse_error is not null then parse_error
        when customer_id is null then 'customer_id is blank'
        when $has_order_id and order_id is null then 'order_id is blank'
        when order_date_raw is null or trim(order_date_raw) = '' then 'order_date is blank'
        when order_ts is null
            then 'order_date ''' || order_date_raw || ''' is not a date in format '
                || coalesce($date_format::varchar, 'ISO 8601 (YYYY-MM-DD)')
        when order_ts::date > $latest_date::date
            then 'order_date ' || strftime(order_ts::date, '%Y-%m-%d') || ' is after '
                || $latest_date_label || ' ' || strftime($latest_date::date, '%Y-%m-%d')
        when order_ts < timestamp '1900-01-01'
            then 'order_date ' || strftime(order_ts::date, '%Y-%m-%d') || ' is before 1900-01-01'
        when amount_raw is null or trim(amount_raw) = '' then 'amount is blank'
        when amount is null then 'amount ''' || amount_raw || ''' is not a number'
        when isnan(amount) then 'amount is NaN'
        when isinf(amount) then 'amount ''' || amount_raw || ''' is infinite'
        when abs(amount) >= 1e16 then 'amount ''' || amount_raw || ''' is too large for DECIMAL(18,2)'
        when quantity is null
            then 'quantity ''' || coalesce(quantity_raw, '') || ''' is not a whole number'
        when unit_cost_raw is not null and trim(unit_cost_raw) <> ''
            and (unit_cost is null or not isfinite(unit_cost) or abs(unit_cost) >= 1e16)
            then 'unit_cost ''' || unit_cost_raw || ''' is not a finite number'
    end as reason
from _typed
