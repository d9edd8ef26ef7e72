-- Order ids repeated among records that pass every other check (usually none), with where each first
-- appears (by file, then line). Records read now are compared with each other and, in an incremental load,
-- with the accepted lines of the source's files not read now ($kept_source; null when every file is read):
-- a count per order id, then positions for the repeated ones only.
create or replace temp table _repeated_order_ids as
with candidates as (
    select order_id, source_file, line_number
    from _validated
    where reason is null
),

kept as (
    select order_id, source_file, line_number
    from staging.transactions
    where source = $kept_source::varchar
        and order_id in (select order_id from candidates)
        and not list_contains($files::varchar[], source_file)
),

lines as (
    select * from candidates
    union all
    select * from kept
),

repeated as (
    select order_id
    from lines
    group by order_id
    having count(*) > 1
)

select
    order_id,
    min(source_file) as first_file,
    arg_min(line_number, struct_pack(f := source_file, l := line_number)) as first_line
from lines
where order_id in (select order_id from repeated)
group by order_id
