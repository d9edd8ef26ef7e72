-- Customers on the action lists more than once at a date, or lists whose ranks are not 1..n, at $dates (the scoring
-- dates a run wrote): must be none. The table declares no key (sql/profit/at_risk_customers.sql), so this keeps it one
-- row per customer and date.
with lists as (
    select period_end, segment, count(*) as customers,
        min(rank) as first_rank, max(rank) as last_rank, count(distinct rank) as ranks
    from profit.at_risk_customers
    where period_end in (select unnest($dates::date[]))
    group by period_end, segment
),

repeated as (
    select period_end, count(*) - count(distinct customer_id) as repeated_customers
    from profit.at_risk_customers
    where period_end in (select unnest($dates::date[]))
    group by period_end
)

select lists.period_end, lists.segment, lists.customers, repeated.repeated_customers, lists.first_rank, lists.last_rank
from lists
inner join repeated using (period_end)
where repeated.repeated_customers > 0 or lists.first_rank <> 1 or lists.last_rank <> lists.customers
    or lists.ranks <> lists.customers
order by lists.period_end, lists.segment
