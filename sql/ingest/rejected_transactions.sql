-- staging.rejected_transactions: one input record that was not accepted, with the reason.
create schema if not exists staging;

create table if not exists staging.rejected_transactions (
    source       varchar   not null,
    source_file  varchar   not null,
    line_number  bigint    not null,
    raw_record   varchar,
    reason       varchar   not null,
    rejected_at  timestamp not null
);

comment on table staging.rejected_transactions is 'Quarantine: one input record per row that failed validation, with the first reason found. Rows read = staging.transactions + this table, per source.';
comment on column staging.rejected_transactions.source is 'Name of the configured source.';
comment on column staging.rejected_transactions.source_file is 'Path of the file the record was read from.';
comment on column staging.rejected_transactions.line_number is 'Physical line number in source_file (1 = first line, header included); Parquet: row number from 1.';
comment on column staging.rejected_transactions.raw_record is 'The record as read (bytes that are not UTF-8 shown as \xNN); Parquet: the mapped fields as JSON.';
comment on column staging.rejected_transactions.reason is 'Why the record was rejected, naming the field and the offending value.';
comment on column staging.rejected_transactions.rejected_at is 'When the load that rejected it ran.';
