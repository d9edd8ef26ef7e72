-- The models that scored customers in the latest run, with the purchase model's holdout error.
with latest as (
    select max_by(run_id, fitted_at) as run_id from clv.model_runs
)

select
    final.model,
    final.parameters::varchar as parameters,
    final.parameter_standard_errors::varchar as parameter_standard_errors,
    final.as_of_date,
    calibration.calibration_end,
    calibration.holdout_end,
    calibration.holdout_mae,
    calibration.holdout_rmse,
    calibration.holdout_correlation,
    calibration.holdout_actual,
    calibration.holdout_predicted
from clv.model_runs as final
inner join latest using (run_id)
left join clv.model_runs as calibration
    on calibration.run_id = final.run_id and calibration.model = final.model and calibration.stage = 'calibration'
    and calibration.forecast_origin = 0
where final.stage = 'final' and final.chosen
order by final.model = 'gamma_gamma', final.model
