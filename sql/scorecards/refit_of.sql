-- The refit date whose model scored $as_of (clv.customer_clv.fitted_through); null when no model scored it.
select any_value(fitted_through) as fitted_through
from clv.customer_clv
where period_end = $as_of
