-- The latest run's clv.repeat_purchase_tracking, every purchase model.
with latest as (
    select max_by(run_id, fitted_at) as run_id from clv.model_runs
)

select repeat_purchase_tracking.*
from clv.repeat_purchase_tracking
inner join latest using (run_id)
order by model, week
