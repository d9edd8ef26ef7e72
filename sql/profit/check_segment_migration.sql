-- From-rows that do not add up to their segment's customers at start_date (must be none), for the moves to $dates
-- (the scoring dates a run wrote).
with moved as (
    select from_segment, start_date, sum(customers) as moved
    from profit.segment_migration
    where from_segment <> 'new' and period_end in (select unnest($dates::date[]))
    group by all
),

members as (
    select segment, period_end, count(*) as customers
    from profit.customer_segments
    where period_end in (select start_date from moved)
    group by all
)

select moved.from_segment, moved.start_date, moved.moved, members.customers
from moved
left join members on members.segment = moved.from_segment and members.period_end = moved.start_date
where members.customers is distinct from moved.moved
order by moved.start_date, moved.from_segment
