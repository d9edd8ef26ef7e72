-- The scoring dates of $dates whose customers have CLV intervals, with the refit (and the run that made it) that scored them:
-- a segment's equity interval draws from the same fits (models.clv.intervals).
select distinct period_end, fitted_through, run_id
from clv.customer_clv
where period_end in (select unnest($dates::date[])) and clv_low is not null and fitted_through is not null
order by period_end
