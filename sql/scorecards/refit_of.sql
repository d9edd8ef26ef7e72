-- The refit whose model scored $as_of (clv.customer_clv: the run that fitted it and its date); nulls when no model did.
select any_value(run_id) as run_id, any_value(fitted_through) as fitted_through
from clv.customer_clv
where period_end = $as_of
