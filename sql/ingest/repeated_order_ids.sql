-- Order ids repeated among records that pass every other check (usually none), with where each first
-- appears (by file, then line): a count per order id, then positions for the repeated ones only.
create or replace temp table _repeated_order_ids as
with repeated as (
    select order_id
    from _validated
    where reason is null
    group by order_id
    having count(*) > 1
)

select
    order_id,
    min(source_file) as first_file,
    arg_min(line_number, struct_pack(f := source_file, l := line_number)) as first_line
from _validated
where reason is null and order_id in (select order_id from repeated)
group by order_id
