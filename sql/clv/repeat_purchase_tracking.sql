-- clv.repeat_purchase_tracking: the tracking plot of each run's backtest (forecast origin 0).
create schema if not exists clv;

create table if not exists clv.repeat_purchase_tracking (
    run_id      varchar not null,
    period_end  date    not null,
    model       varchar not null,
    week        integer not null,
    week_end    date    not null,
    period      varchar not null,
    actual      double  not null,
    predicted   double  not null
);

comment on table clv.repeat_purchase_tracking is 'Cumulative repeat purchases week by week over the calibration and holdout periods, actual vs expected under each calibration fit, of the customers acquired by the calibration end (the BG/NBD paper''s tracking plot; forecast origin 0 of clv.model_runs).';
comment on column clv.repeat_purchase_tracking.run_id is 'Pipeline run (clv.model_runs.run_id).';
comment on column clv.repeat_purchase_tracking.period_end is 'As-of date of the run.';
comment on column clv.repeat_purchase_tracking.model is 'Purchase model fitted on the calibration period (clv.model_runs.model).';
comment on column clv.repeat_purchase_tracking.week is 'Week from the first transaction day (week 1 = its first seven days).';
comment on column clv.repeat_purchase_tracking.week_end is 'Last day of the week.';
comment on column clv.repeat_purchase_tracking.period is 'calibration or holdout: where the week ends.';
comment on column clv.repeat_purchase_tracking.actual is 'Actual repeat purchase days of the cohort up to the week end.';
comment on column clv.repeat_purchase_tracking.predicted is 'Repeat purchases the calibration fit expects of the cohort up to the week end (unconditional, from each customer''s first purchase).';
