-- _fit_groups: each customer's group for fits by group (config clv.fit_by), the channel or region of their first
-- transaction line (ties at the same time: the first by name; missing: '(none)'). It is fixed from the customer's first
-- purchase on, so the group a date's statistics use never depends on data after that date. Empty without clv.fit_by:
-- the statistics' fit_group is then null and the fits are pooled.
create or replace temp table _fit_groups as
select
    customer_id,
    coalesce(
        case $fit_by::varchar
            when 'acquisition_channel' then first(channel order by order_ts, channel nulls last)
            when 'acquisition_region' then first(region order by order_ts, region nulls last)
        end,
        '(none)'
    ) as fit_group
from staging.transactions
where $fit_by::varchar is not null
group by customer_id
