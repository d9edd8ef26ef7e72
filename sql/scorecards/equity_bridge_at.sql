-- The customer-equity bridge of each segment for the period ending $as_of.
select *
from profit.segment_equity_bridge
where period_end = $as_of::date
order by segment
