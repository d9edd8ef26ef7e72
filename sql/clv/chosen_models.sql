-- The final fits that score customers in the latest run for an as-of date.
select model, parameters::varchar as parameters, parameter_covariance::varchar as parameter_covariance, converged, note, run_id
from clv.model_runs
where chosen and stage = 'final' and as_of_date = $as_of::date
  and run_id = (
      select run_id from clv.model_runs
      where as_of_date = $as_of::date
      order by fitted_at desc
      limit 1
  )
