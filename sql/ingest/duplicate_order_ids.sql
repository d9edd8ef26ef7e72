-- Order ids that appear more than once within a source (must be none), among those of the rows no published run
-- has checked (sql/ingest/unpublished_transactions.sql): a published run checked its rows against each other and
-- every earlier row, so a repeat is new only where an unpublished row takes part in it.
with unpublished as (
    select distinct source, order_id
    from _unpublished_transactions
)

select source, order_id, count(*) as lines
from staging.transactions
semi join unpublished using (source, order_id)
group by source, order_id
having count(*) > 1
order by lines desc, source, order_id
limit 10
