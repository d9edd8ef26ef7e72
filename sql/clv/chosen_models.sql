-- The final fits that score customers for an as-of (refit) date (with clv.fit_by, each group's too: fit_group), those of
-- run $run_id, or of the latest run when null.
select model, parameters::varchar as parameters, parameter_covariance::varchar as parameter_covariance, converged, note, run_id,
    fit_group
from clv.model_runs
where chosen and stage = 'final' and period_end = $as_of::date
  and run_id = coalesce($run_id, (
      select run_id from clv.model_runs
      where period_end = $as_of::date
      order by fitted_at desc
      limit 1
  ))
