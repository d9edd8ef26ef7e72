-- Work table for one source's records, typed but not yet validated.
create or replace temp table _typed (
    source_file    varchar,
    line_number    bigint,
    raw_record     varchar,
    parse_error    varchar,
    customer_id    varchar,
    order_id       varchar,
    order_date_raw varchar,
    order_ts       timestamp,
    amount_raw     varchar,
    amount         double,
    quantity_raw   varchar,
    quantity       integer,
    channel        varchar,
    region         varchar,
    category       varchar,
    unit_cost_raw  varchar,
    unit_cost      double
)
