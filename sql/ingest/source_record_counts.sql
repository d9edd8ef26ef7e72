-- Accepted and rejected records per source, as loaded in the warehouse.
with accepted as (
    select source, count(*) as accepted from staging.transactions group by source
),

rejected as (
    select source, count(*) as rejected from staging.rejected_transactions group by source
)

select
    source,
    coalesce(accepted, 0) as accepted,
    coalesce(rejected, 0) as rejected
from accepted
full outer join rejected using (source)
order by source
