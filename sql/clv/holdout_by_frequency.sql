-- clv.holdout_by_frequency: the conditional-expectation table of each run's backtest (forecast origin 0).
create schema if not exists clv;

create table if not exists clv.holdout_by_frequency (
    run_id                 varchar not null,
    period_end             date    not null,
    model                  varchar not null,
    calibration_frequency  varchar not null,
    customers              bigint  not null,
    actual                 double  not null,
    predicted              double  not null
);

comment on table clv.holdout_by_frequency is 'Backtest evidence by calibration frequency: customers grouped by repeat purchases in the calibration period (0..6, 7+), with their actual and predicted repeat purchases in the holdout, per model and baseline (forecast origin 0 of clv.model_runs).';
comment on column clv.holdout_by_frequency.run_id is 'Pipeline run (clv.model_runs.run_id).';
comment on column clv.holdout_by_frequency.period_end is 'As-of date of the run.';
comment on column clv.holdout_by_frequency.model is 'Model or baseline fitted on the calibration period (clv.model_runs.model).';
comment on column clv.holdout_by_frequency.calibration_frequency is 'Repeat purchase days in the calibration period: 0 to 6, or 7+.';
comment on column clv.holdout_by_frequency.customers is 'Customers acquired by the calibration end with that frequency.';
comment on column clv.holdout_by_frequency.actual is 'Their actual repeat purchase days in the holdout period, in total.';
comment on column clv.holdout_by_frequency.predicted is 'Their repeat purchases the model predicted for the holdout period, in total.';
