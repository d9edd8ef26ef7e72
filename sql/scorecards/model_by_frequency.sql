-- clv.holdout_by_frequency of the refit that scored $as_of, every model and baseline.
with latest as (
    -- the refit that scored the pages' date $as_of (clv.customer_clv.fitted_through; docs/history.md)
    select any_value(run_id) as run_id, any_value(fitted_through) as period_end
    from clv.customer_clv
    where period_end = $as_of
)

select holdout_by_frequency.*
from clv.holdout_by_frequency
inner join latest using (run_id, period_end)
order by model, calibration_frequency
