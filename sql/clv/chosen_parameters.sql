-- Parameters of the fits of the latest run for an as-of date.
select model, stage, fit_group, chosen, converged, parameters::varchar as parameters
from clv.model_runs
where period_end = $as_of::date
  and run_id = (select max_by(run_id, fitted_at) from clv.model_runs where period_end = $as_of::date)
order by stage, fit_group nulls first, model
