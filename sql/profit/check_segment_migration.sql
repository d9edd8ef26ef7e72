-- From-rows that do not add up to their segment's customers at from_date (must be none).
with moved as (
    select from_segment, from_date, sum(customers) as moved
    from profit.segment_migration
    where from_segment <> 'new'
    group by all
),

members as (
    select segment, as_of_date, count(*) as customers
    from profit.customer_segments
    group by all
)

select moved.from_segment, moved.from_date, moved.moved, members.customers
from moved
left join members on members.segment = moved.from_segment and members.as_of_date = moved.from_date
where members.customers is distinct from moved.moved
order by moved.from_date, moved.from_segment
