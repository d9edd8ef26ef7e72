-- Rejected records per source and reason kind (the reason text up to its first quoted value).
select
    source,
    regexp_replace(reason, '''.*', '…') as reason,
    count(*) as records
from staging.rejected_transactions
group by all
order by records desc, source, reason
limit 20
