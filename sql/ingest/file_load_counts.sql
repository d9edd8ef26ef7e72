-- Per file of this load (table _validated): records read, accepted and rejected, and the facts that say when
-- a move of the latest accepted date ($latest_date) means reading the file again.
select
    source_file,
    count(*) as records_read,
    count(*) filter (where reason is null) as accepted,
    count(*) filter (where reason is not null) as rejected,
    max(order_ts::date) filter (where reason is null) as last_order_date,
    count(*) filter (where order_ts::date > $latest_date::date) as later_records
from _validated
group by source_file
