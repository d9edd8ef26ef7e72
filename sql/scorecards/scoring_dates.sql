-- The scoring dates up to $as_of, in order.
select distinct as_of_date
from profit.customer_segments
where as_of_date <= $as_of::date
order by as_of_date
