-- Type every record of one source from its text and give it its first failing check as `reason`
-- (null = accepted). Repeated order ids are marked afterwards (sql/ingest/mark_repeated_order_ids.sql).
create or replace temp table _validated as
with typed as (
    select * from _typed
),

texts as (
    select
        *,
        trim(order_date_raw) as date_text,
        money_problem('amount', amount_raw) as amount_problem,
        case when trim(unit_cost_raw) <> '' then money_problem('unit_cost', unit_cost_raw) end as unit_cost_problem
    from typed
),

parsed as (
    select
        * exclude (date_text),
        case
            -- DuckDB reads words as dates (epoch, infinity, today...): a date has digits.
            when not regexp_matches(date_text, '\d') then null
            when $date_format::varchar is not null and $date_format_zoned
                then timezone($timezone, try_strptime(date_text, $date_format::varchar)::timestamptz)
            when $date_format::varchar is not null then try_strptime(date_text, $date_format::varchar)::timestamp
            -- ISO 8601 with a UTC offset: the instant, in the source's time zone; DuckDB's cast to
            -- TIMESTAMP would drop the offset.
            when regexp_full_match(date_text, '\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)')
                then timezone($timezone, try_cast(date_text as timestamptz))
            when regexp_full_match(date_text, '\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?')
                then try_cast(date_text as timestamp)
        end as order_ts,
        -- exact: money_problem accepted it (below 1e16, at most 2 decimals once trailing zeros and exponent are read)
        case when amount_problem is null then try_cast(trim(amount_raw) as decimal(18, 2)) end as amount,
        case
            when regexp_full_match(trim(quantity_raw), '[+-]?\d+(\.0*)?') then try_cast(trim(quantity_raw) as integer)
        end as quantity,
        case
            when unit_cost_problem is null then try_cast(trim(unit_cost_raw) as decimal(18, 2))
        end as unit_cost
    from texts
),

final as (
    select
        * exclude (amount_problem, unit_cost_problem),
        case
            when parse_error is not null then parse_error
            when customer_id is null then 'customer_id is blank'
            when $has_order_id and order_id is null then 'order_id is blank'
            when order_date_raw is null or trim(order_date_raw) = '' then 'order_date is blank'
            when order_ts is null
                then 'order_date ''' || shown(order_date_raw) || ''' is not a date in format '
                    || coalesce($date_format::varchar, 'ISO 8601 (YYYY-MM-DD)')
            when order_ts::date > $latest_date::date
                then 'order_date ' || strftime(order_ts::date, '%Y-%m-%d') || ' is after '
                    || $latest_date_label || ' ' || strftime($latest_date::date, '%Y-%m-%d')
            when order_ts < timestamp '1900-01-01'
                then 'order_date ' || strftime(order_ts::date, '%Y-%m-%d') || ' is before 1900-01-01'
            when amount_problem is not null then amount_problem
            -- A plausibility bound: one odd record is quarantined, never a run-stopper.
            when abs(amount) > $max_amount
                then 'amount ''' || shown(amount_raw) || ''' is beyond max_amount ' || $max_amount::varchar
            when quantity_raw is null or trim(quantity_raw) = '' then 'quantity is blank'
            when quantity is null then 'quantity ''' || shown(quantity_raw) || ''' is not a whole number'
            when unit_cost_problem is not null then unit_cost_problem
            when unit_cost < 0 then 'unit_cost ''' || shown(unit_cost_raw) || ''' is negative'
        end as reason
    from parsed
)

select * from final
