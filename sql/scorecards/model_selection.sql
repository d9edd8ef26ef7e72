-- The model choice of the refit that scored $as_of: every purchase model and baseline with its criteria summed over
-- the forecast origins (null where a forecast gave an observed count probability 0), and origin 0's other evidence.
with latest as (
    -- the refit that scored the pages' date $as_of (clv.customer_clv.fitted_through; docs/history.md)
    select any_value(run_id) as run_id, any_value(fitted_through) as period_end
    from clv.customer_clv
    where period_end = $as_of
),

backtests as (
    select model_runs.*
    from clv.model_runs
    inner join latest using (run_id, period_end)
    where stage = 'calibration' and selection_rank is not null
),

chosen as (
    select model_runs.model
    from clv.model_runs
    inner join latest using (run_id, period_end)
    where stage = 'final' and chosen and fit_group is null
),

final as (
    select
        model,
        any_value(selection_rank) as selection_rank,
        count(*) as origins,
        case when count(holdout_log_likelihood) = count(*) then sum(holdout_log_likelihood) end as holdout_log_likelihood,
        case when count(bic) = count(*) then sum(bic) end as bic,
        any_value(frequency_table_error) filter (where forecast_origin = 0) as frequency_table_error,
        any_value(holdout_gini) filter (where forecast_origin = 0) as holdout_gini,
        any_value(holdout_top_decile_lift) filter (where forecast_origin = 0) as holdout_top_decile_lift,
        any_value(holdout_actual) filter (where forecast_origin = 0) as holdout_actual,
        any_value(holdout_predicted) filter (where forecast_origin = 0) as holdout_predicted,
        any_value(holdout_mae) filter (where forecast_origin = 0) as holdout_mae,
        any_value(calibration_end) filter (where forecast_origin = 0) as calibration_end,
        any_value(holdout_end) filter (where forecast_origin = 0) as holdout_end,
        model in (select model from chosen) as chosen
    from backtests
    group by model
)

select * from final
order by selection_rank
