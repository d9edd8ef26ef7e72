-- clv.holdout_by_decile: each run's backtest by decile of predicted holdout purchases (forecast origin 0).
create schema if not exists clv;

create table if not exists clv.holdout_by_decile (
    run_id      varchar not null,
    period_end  date    not null,
    model       varchar not null,
    decile      integer not null,
    customers   double  not null,
    predicted   double  not null,
    actual      double  not null
);

comment on table clv.holdout_by_decile is 'Backtest evidence by decile: customers ranked by the repeat purchases a model predicted for the holdout, in ten equal groups, with predicted and actual holdout purchases (forecast origin 0 of clv.model_runs; Gini and top-decile lift are in clv.model_runs).';
comment on column clv.holdout_by_decile.run_id is 'Pipeline run (clv.model_runs.run_id).';
comment on column clv.holdout_by_decile.period_end is 'As-of date of the run.';
comment on column clv.holdout_by_decile.model is 'Model or baseline fitted on the calibration period (clv.model_runs.model).';
comment on column clv.holdout_by_decile.decile is '1 = the tenth of customers with the highest predicted holdout purchases, 10 = the lowest.';
comment on column clv.holdout_by_decile.customers is 'Customers in the decile (fractional where customers with the same statistics straddle a boundary).';
comment on column clv.holdout_by_decile.predicted is 'Repeat purchases the model predicted for the decile in the holdout, in total.';
comment on column clv.holdout_by_decile.actual is 'Actual repeat purchase days of the decile in the holdout, in total.';
