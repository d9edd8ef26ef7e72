-- clv.model_runs: one row per model fit, the registry of every CLV model the pipeline fitted.
create schema if not exists clv;

create table if not exists clv.model_runs (
    run_id                 varchar   not null,
    fitted_at              timestamp not null,
    stage                  varchar   not null,
    model                  varchar   not null,
    parameters             json,
    parameter_standard_errors json,
    parameter_covariance   json,
    log_likelihood         double,
    converged              boolean   not null,
    n_customers            bigint    not null,
    n_triples              bigint    not null,
    fit_seconds            double    not null,
    period_end             date      not null,
    calibration_start      date,
    calibration_end        date,
    holdout_end            date,
    forecast_origin        integer,
    time_unit              varchar   not null,
    holdout_customers      bigint,
    holdout_actual         double,
    holdout_predicted      double,
    holdout_mae            double,
    holdout_rmse           double,
    holdout_correlation    double,
    holdout_log_likelihood double,
    holdout_gini           double,
    holdout_top_decile_lift double,
    frequency_table_error  double,
    n_parameters           integer,
    bic                    double,
    selection_rank         integer,
    frequency_monetary_correlation double,
    chosen                 boolean   not null,
    fit_group              varchar,
    lifetimes_version      varchar   not null,
    note                   varchar
);

-- Warehouses from before the rolling-origin selection get its columns (README, migration note).
alter table clv.model_runs add column if not exists forecast_origin integer;
alter table clv.model_runs add column if not exists holdout_log_likelihood double;
alter table clv.model_runs add column if not exists holdout_gini double;
alter table clv.model_runs add column if not exists holdout_top_decile_lift double;
alter table clv.model_runs add column if not exists frequency_table_error double;
alter table clv.model_runs add column if not exists n_parameters integer;
alter table clv.model_runs add column if not exists bic double;
alter table clv.model_runs add column if not exists selection_rank integer;
-- ... and those of the parameter uncertainty.
alter table clv.model_runs add column if not exists parameter_standard_errors json;
alter table clv.model_runs add column if not exists parameter_covariance json;
-- ... and those of fits by group.
alter table clv.model_runs add column if not exists fit_group varchar;

comment on table clv.model_runs is 'Every CLV model fit: calibration fits (and the zero_forecast and calibration_rate baselines) scored on the holdout of each forecast origin, and the final fits on all data up to the as-of date that score customers (chosen = true).';
comment on column clv.model_runs.run_id is 'Pipeline run that made the fit.';
comment on column clv.model_runs.fitted_at is 'When the fit finished.';
comment on column clv.model_runs.stage is 'calibration: fitted up to calibration_end and tested on the holdout; final: fitted up to period_end; group_comparison (config clv.fit_by): the chosen purchase model fitted pooled (model pooled) and per group (model by_group, its figures summed over the groups) at a forecast origin, ranked by the selection rule.';
comment on column clv.model_runs.model is 'bgnbd (BG/NBD), paretonbd (Pareto/NBD), mbgnbd (MBG/NBD), gamma_gamma (spend), empirical_mean (spend fallback), or a baseline: zero_forecast (nobody buys again), calibration_rate (everyone buys at the pooled calibration rate); in stage group_comparison, pooled or by_group.';
comment on column clv.model_runs.parameters is 'Fitted parameters as JSON, in lifetimes'' parameterisation and the run''s time unit.';
comment on column clv.model_runs.parameter_standard_errors is 'Final fits: each parameter''s standard error as JSON, from the Hessian of the total log-likelihood of the compressed statistics at the fit (delta method from the log parameters); null when the Hessian is not positive definite.';
comment on column clv.model_runs.parameter_covariance is 'Final fits: covariance matrix of the log parameters (rows and columns in the order of parameters) as JSON, the inverse Hessian; the CLV, p_alive and segment equity intervals draw from it (docs/clv.md).';
comment on column clv.model_runs.log_likelihood is 'Total log-likelihood of the data at the fitted parameters.';
comment on column clv.model_runs.converged is 'Whether the optimiser converged to finite, positive parameters.';
comment on column clv.model_runs.n_customers is 'Customers in the fit.';
comment on column clv.model_runs.n_triples is 'Distinct (frequency, recency, t) triples (Gamma-Gamma: distinct (frequency, monetary_value) pairs) the fit ran on.';
comment on column clv.model_runs.fit_seconds is 'Wall time of the fit.';
comment on column clv.model_runs.period_end is 'As-of date of the run.';
comment on column clv.model_runs.calibration_start is 'First transaction day in the data.';
comment on column clv.model_runs.calibration_end is 'Last day of the calibration period (final fits: period_end).';
comment on column clv.model_runs.holdout_end is 'Last day of the holdout period (calibration fits only).';
comment on column clv.model_runs.forecast_origin is 'Calibration fits: 0 for the configured calibration_end and holdout_end, 1, 2, ... for the earlier rolling origins the selection also compares on.';
comment on column clv.model_runs.time_unit is 'Time unit of recency, t and the parameters.';
comment on column clv.model_runs.holdout_customers is 'Customers acquired by calibration_end, on whom the holdout is scored.';
comment on column clv.model_runs.holdout_actual is 'Actual repeat purchase days in the holdout period, all customers.';
comment on column clv.model_runs.holdout_predicted is 'Repeat purchases the calibration fit predicted for the holdout period, all customers.';
comment on column clv.model_runs.holdout_mae is 'Mean absolute error of predicted vs actual holdout repeat purchases per customer (Gamma-Gamma: of the mean spend per purchase).';
comment on column clv.model_runs.holdout_rmse is 'Root mean squared error per customer, as holdout_mae.';
comment on column clv.model_runs.holdout_correlation is 'Pearson correlation of predicted and actual per customer.';
comment on column clv.model_runs.holdout_log_likelihood is 'Log-likelihood of every customer''s actual holdout repeat purchase count under the fit''s predictive distribution given their calibration history (higher is better; null: a forecast gave an observed count probability 0).';
comment on column clv.model_runs.holdout_gini is 'Gini coefficient of actual holdout purchases with customers ordered by predicted ones: 2 x the area between the cumulative-gain curve and the diagonal (0 = no better than random; null for a constant forecast).';
comment on column clv.model_runs.holdout_top_decile_lift is 'Actual holdout purchases per customer in the top tenth by prediction, over the mean of all customers (clv.holdout_by_decile).';
comment on column clv.model_runs.frequency_table_error is 'Sum over calibration frequencies 0..6, 7+ of |predicted - actual| holdout repeat purchases, as a share of the actual ones (0 is perfect; the zero forecast scores 1).';
comment on column clv.model_runs.n_parameters is 'Parameters the fit estimated (BIC''s penalty counts them).';
comment on column clv.model_runs.bic is 'Bayesian information criterion of the calibration fit: -2 log_likelihood + n_parameters x ln(n_customers) (lower is better; null: zero likelihood).';
comment on column clv.model_runs.selection_rank is 'Place of the model or baseline under the selection rule over all forecast origins (1 = best; docs/clv.md); with model auto the best-ranked purchase model is chosen.';
comment on column clv.model_runs.frequency_monetary_correlation is 'Gamma-Gamma only: correlation of frequency and mean repeat spend among repeat customers; the model assumes it is near 0.';
comment on column clv.model_runs.chosen is 'Final fits: this fit scores customers in clv.customer_clv (a group''s fit those of its fit_group, the pooled fit the others); group_comparison: this way of fitting won.';
comment on column clv.model_runs.fit_group is 'Final fits by group (config clv.fit_by): the group of customers (acquisition channel or region) the fit is on; null: all customers (pooled).';
comment on column clv.model_runs.lifetimes_version is 'Version of the lifetimes package that fitted the model.';
comment on column clv.model_runs.note is 'Why a fit did not converge or a fallback was used.';
