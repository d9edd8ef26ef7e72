-- The latest run's clv.holdout_by_decile, every model and baseline.
with latest as (
    select max_by(run_id, fitted_at) as run_id from clv.model_runs
)

select holdout_by_decile.*
from clv.holdout_by_decile
inner join latest using (run_id)
order by model, decile
