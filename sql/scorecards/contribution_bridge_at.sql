-- The contribution bridges of each segment for the period ending $as_of: against the period before and a year earlier.
select *
from profit.segment_contribution_bridge
where period_end = $as_of::date
order by segment, basis
