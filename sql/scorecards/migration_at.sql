-- Moves into and out of each segment between the previous scoring date and $as_of (stayers excluded).
select from_segment, to_segment, customers, clv_moved, contribution_moved
from profit.segment_migration
where period_end = $as_of::date and from_segment <> to_segment
order by customers desc
