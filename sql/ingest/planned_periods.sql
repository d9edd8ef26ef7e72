-- The last history plan, per period: computed by the run or kept, and whether that restated published figures.
select period_start, coalesce(recompute, false) as recompute, coalesce(restated, false) as restated, restatement_reason
from meta.period_fingerprints
order by period_start
