-- Work table for one source's records: the mapped fields as text, typed and validated afterwards
-- (sql/ingest/validate_records.sql), so text and Parquet sources share one set of rules.
create or replace temp table _typed (
    source_file    varchar,
    line_number    bigint,
    raw_record     varchar,
    parse_error    varchar,
    customer_id    varchar,
    order_id       varchar,
    order_date_raw varchar,
    amount_raw     varchar,
    quantity_raw   varchar,
    channel        varchar,
    region         varchar,
    category       varchar,
    unit_cost_raw  varchar
)
