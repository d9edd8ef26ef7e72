-- The latest run's clv.holdout_by_frequency, every model and baseline.
with latest as (
    select max_by(run_id, fitted_at) as run_id from clv.model_runs
)

select holdout_by_frequency.*
from clv.holdout_by_frequency
inner join latest using (run_id)
order by model, calibration_frequency
