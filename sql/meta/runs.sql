-- meta.runs: one row per published run: which run built the snapshot, from what.
create schema if not exists meta;

create table if not exists meta.runs (
    run_id            varchar   not null,
    started_at        timestamp not null,
    finished_at       timestamp not null,
    config_file       varchar   not null,
    config_hash       varchar   not null,
    first_transaction date,
    last_transaction  date,
    as_of_date        date,
    row_counts        json      not null,
    segprof_version   varchar   not null,
    inputs_changed    date[],
    restated          date[],
    restatement_reason varchar,
    periods_computed  date[],
    ingest_run_id     varchar
);

-- Added with incremental ingest: warehouses created before have meta.runs without it.
alter table meta.runs add column if not exists inputs_changed date[];
-- Added with point-in-time history.
alter table meta.runs add column if not exists restated date[];
alter table meta.runs add column if not exists periods_computed date[];
alter table meta.runs add column if not exists restatement_reason varchar;
-- Added with the period partitions (ingest and the rest are two Dagster runs).
alter table meta.runs add column if not exists ingest_run_id varchar;

comment on table meta.runs is 'One row per run that published this warehouse snapshot; the latest row built it.';
comment on column meta.runs.run_id is 'Dagster run id of the run that published.';
comment on column meta.runs.ingest_run_id is 'Dagster run id of the ingest (the transactions step) whose load it published: segprof run and the source sensor load in a run of their own, then compute the planned periods in a second; null when the warehouse holds no fingerprints.';
comment on column meta.runs.started_at is 'When the run started.';
comment on column meta.runs.finished_at is 'When the snapshot was written.';
comment on column meta.runs.config_file is 'Config file the run used.';
comment on column meta.runs.config_hash is 'SHA-256 of the config file''s bytes.';
comment on column meta.runs.first_transaction is 'First accepted transaction day.';
comment on column meta.runs.last_transaction is 'Last accepted transaction day.';
comment on column meta.runs.as_of_date is 'As-of date of the analysis.';
comment on column meta.runs.row_counts is 'Rows of every published table, as JSON {"schema.table": rows}.';
comment on column meta.runs.segprof_version is 'segprof version that ran.';
comment on column meta.runs.inputs_changed is 'First days of the closed periods whose accepted transactions changed since the previous published run (late or corrected records; meta.period_fingerprints); empty when none, null before the first run that compared.';
comment on column meta.runs.restated is 'First days of the closed periods whose published figures this run replaced (inputs or settings changed, or a restatement was asked for); empty when none.';
comment on column meta.runs.restatement_reason is 'Why this run restated them: inputs changed in which periods, settings changed, a restatement or a backfill asked for; null when it restated none.';
comment on column meta.runs.periods_computed is 'First days of the periods this run computed; the others kept the figures already published.';
