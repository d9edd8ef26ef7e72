-- meta.source_files: the ingest ledger, one row per source file loaded (or removed), so that a run reads only
-- new and changed files (pipelines/ingest.py: plan_source).
create schema if not exists meta;

create table if not exists meta.source_files (
    source          varchar   not null,
    source_file     varchar   not null,
    size_bytes      bigint    not null,
    modified_at     timestamp not null,
    content_hash    varchar   not null,
    records_in_file bigint    not null,
    records_read    bigint    not null,
    accepted        bigint    not null,
    rejected        bigint    not null,
    last_order_date date,
    later_records   bigint    not null,
    latest_date     date      not null,
    settings_hash   varchar   not null,
    loaded_at       timestamp not null,
    removed_at      timestamp,
    run_id          varchar
);

comment on table meta.source_files is 'Ingest ledger: one row per file a source matched, with what its last load read. A run reads only files that are new or whose size or modification time changed and whose content hash differs; a file that no longer matches its source has its rows removed and removed_at set.';
comment on column meta.source_files.source is 'Name of the configured source.';
comment on column meta.source_files.source_file is 'Path of the file, as in staging.transactions.source_file.';
comment on column meta.source_files.size_bytes is 'File size in bytes when it was last checked.';
comment on column meta.source_files.modified_at is 'File modification time when it was last checked (microseconds).';
comment on column meta.source_files.content_hash is 'SHA-256 of the file''s bytes when it was loaded.';
comment on column meta.source_files.records_in_file is 'Records in the file, counted apart from the load (lines less the header; Parquet rows): the blocking check transactions_records_accounted compares it with accepted + rejected.';
comment on column meta.source_files.records_read is 'Records the load read from the file (= accepted + rejected).';
comment on column meta.source_files.accepted is 'Of those, accepted into staging.transactions.';
comment on column meta.source_files.rejected is 'Of those, quarantined in staging.rejected_transactions.';
comment on column meta.source_files.last_order_date is 'Last order date among the file''s accepted records.';
comment on column meta.source_files.later_records is 'Records dated after latest_date (rejected for it, unless rejected for an earlier reason).';
comment on column meta.source_files.latest_date is 'The latest order date the load accepted (the as-of date, or the day of the load): when it moves, files with records on the other side of it are read again.';
comment on column meta.source_files.settings_hash is 'Digest of the source''s configuration and of the validation rules: when either changes, the source''s files are read again.';
comment on column meta.source_files.loaded_at is 'When the file was last read (its rows in staging carry the same loaded_at / rejected_at).';
comment on column meta.source_files.removed_at is 'When a run found the file gone from its source and removed its rows; null while the file is loaded.';
comment on column meta.source_files.run_id is 'Dagster run that last read the file or removed it (null outside Dagster).';
