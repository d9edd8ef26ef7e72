-- The scoring dates up to $as_of, in order.
select distinct period_end
from profit.customer_segments
where period_end <= $as_of::date
order by period_end
