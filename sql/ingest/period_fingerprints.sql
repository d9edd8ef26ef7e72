-- meta.period_fingerprints: one row per period of the accepted transactions, with a digest of its rows, so a
-- run can say which closed periods' inputs changed since the last published run.
create schema if not exists meta;

create table if not exists meta.period_fingerprints (
    period_start          date           not null primary key,
    period_end            date           not null,
    closed                boolean        not null,
    transactions          bigint         not null,
    amount                decimal(38, 2) not null,
    fingerprint           varchar        not null,
    published_fingerprint varchar,
    published_closed      boolean,
    inputs_changed        boolean        not null,
    history_hash          varchar,
    published_history_hash varchar,
    recompute             boolean,
    restated              boolean,
    restatement_reason    varchar,
    run_id                varchar,
    computed_at           timestamp      not null
);

-- Added with point-in-time history: warehouses created before have the table without them.
alter table meta.period_fingerprints add column if not exists history_hash varchar;
alter table meta.period_fingerprints add column if not exists published_history_hash varchar;
alter table meta.period_fingerprints add column if not exists recompute boolean;
alter table meta.period_fingerprints add column if not exists restated boolean;
alter table meta.period_fingerprints add column if not exists restatement_reason varchar;

comment on table meta.period_fingerprints is 'One row per period (config profit.period) from the first transaction to the as-of date: a digest of the period''s accepted transactions now and when the last published run recorded it. inputs_changed marks the closed periods whose inputs changed since (late or corrected records).';
comment on column meta.period_fingerprints.period_start is 'First day of the period.';
comment on column meta.period_fingerprints.period_end is 'Last day of the period.';
comment on column meta.period_fingerprints.closed is 'The period ended on or before the as-of date of the latest load.';
comment on column meta.period_fingerprints.transactions is 'Accepted transaction lines dated in the period.';
comment on column meta.period_fingerprints.amount is 'Sum of their amounts.';
comment on column meta.period_fingerprints.fingerprint is 'Digest of the period''s accepted lines (customer, order, time, amount, quantity, channel, region, category, unit cost), independent of their order, file and load time; it uses DuckDB''s hash, so a DuckDB upgrade may change every fingerprint once.';
comment on column meta.period_fingerprints.published_fingerprint is 'The fingerprint when the last published run recorded it; null before the first.';
comment on column meta.period_fingerprints.published_closed is 'Whether the period was closed at the last published run.';
comment on column meta.period_fingerprints.inputs_changed is 'The period was closed at the last published run and its accepted transactions differ now (meta.runs.inputs_changed lists these).';
comment on column meta.period_fingerprints.run_id is 'Dagster run that computed the fingerprint (null outside Dagster).';
comment on column meta.period_fingerprints.computed_at is 'When the fingerprint was computed.';
comment on column meta.period_fingerprints.history_hash is 'Digest of the settings every period''s figures depend on (time unit, clv, profit, segment rules; not targets or names).';
comment on column meta.period_fingerprints.published_history_hash is 'That digest when the last published run recorded the period.';
comment on column meta.period_fingerprints.recompute is 'The run computes the period (new, open, its inputs or the settings changed, or a restatement was asked for); the others keep their stored figures.';
comment on column meta.period_fingerprints.restated is 'The run recomputes figures it had published for the period as closed (meta.runs.restated lists these).';
comment on column meta.period_fingerprints.restatement_reason is 'Why the run restates the period (inputs changed in which periods, settings changed, a restatement or a backfill asked for); null when it does not.';
