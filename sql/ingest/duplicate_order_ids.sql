-- Order ids that appear more than once within a source (must be none).
select source, order_id, count(*) as lines
from staging.transactions
group by source, order_id
having count(*) > 1
order by lines desc, source, order_id
limit 10
