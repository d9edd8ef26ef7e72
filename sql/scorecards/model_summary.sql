-- The models that scored customers at $as_of, with the purchase model's holdout error.
with latest as (
    -- the refit that scored the pages' date $as_of (clv.customer_clv.fitted_through; docs/history.md)
    select any_value(run_id) as run_id, any_value(fitted_through) as period_end
    from clv.customer_clv
    where period_end = $as_of
)

select
    final.model,
    final.parameters::varchar as parameters,
    final.parameter_standard_errors::varchar as parameter_standard_errors,
    final.period_end,
    calibration.calibration_end,
    calibration.holdout_end,
    calibration.holdout_mae,
    calibration.holdout_rmse,
    calibration.holdout_correlation,
    calibration.holdout_actual,
    calibration.holdout_predicted
from clv.model_runs as final
inner join latest using (run_id, period_end)
left join clv.model_runs as calibration
    on calibration.run_id = final.run_id and calibration.period_end = final.period_end and calibration.model = final.model and calibration.stage = 'calibration'
    and calibration.forecast_origin = 0
where final.stage = 'final' and final.chosen and final.fit_group is null
order by final.model = 'gamma_gamma', final.model
