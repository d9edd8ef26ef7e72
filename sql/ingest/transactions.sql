-- staging.transactions: one accepted transaction line. Definition and column documentation.
create schema if not exists staging;

create table if not exists staging.transactions (
    source       varchar        not null,
    source_file  varchar        not null,
    line_number  bigint         not null,
    customer_id  varchar        not null,
    order_id     varchar        not null,
    order_ts     timestamp      not null,
    order_date   date           not null,
    amount       decimal(18, 2) not null,
    quantity     integer        not null,
    channel      varchar        not null,
    region       varchar        not null,
    category     varchar        not null,
    unit_cost    decimal(18, 2),
    loaded_at    timestamp      not null
);

comment on table staging.transactions is 'One accepted transaction line per row. Every input record is here or in staging.rejected_transactions.';
comment on column staging.transactions.source is 'Name of the configured source the line was loaded from; a reload of the source replaces all its rows.';
comment on column staging.transactions.source_file is 'Path of the file the line was read from.';
comment on column staging.transactions.line_number is 'Physical line number in source_file (1 = first line, header included); Parquet: row number from 1.';
comment on column staging.transactions.customer_id is 'Customer identifier as text, trimmed, exactly as in the source (leading zeros kept).';
comment on column staging.transactions.order_id is 'Order identifier from the source, unique within a source; when the source has none: <source>:<file name>:<line number>.';
comment on column staging.transactions.order_ts is 'When the order was placed (midnight when the source gives a date only).';
comment on column staging.transactions.order_date is 'Calendar day of order_ts; RFM and CLV work at this day level.';
comment on column staging.transactions.amount is 'Value of the line in the warehouse currency. Returns and refunds are negative; zero is allowed.';
comment on column staging.transactions.quantity is 'Units on the line (source default when not mapped).';
comment on column staging.transactions.channel is 'Sales channel (source default when not mapped).';
comment on column staging.transactions.region is 'Region (source default when not mapped).';
comment on column staging.transactions.category is 'Product category (source default when not mapped).';
comment on column staging.transactions.unit_cost is 'Cost of goods per unit when the source has it, else null.';
comment on column staging.transactions.loaded_at is 'When the load that wrote this row ran.';
