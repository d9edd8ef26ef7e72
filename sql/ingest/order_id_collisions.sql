-- Whether the files read now ($files) and the source's other loaded files share an order id, either way: an
-- accepted id of this load that another file also has accepted, or another file's line rejected as a repeat
-- of a line in one of $files (the reason sql/ingest/mark_repeated_order_ids.sql writes ends with that file).
-- Either way the whole source is read again, so that the line kept is the first by file and line, as in a
-- full load.
with loaded as (
    select distinct order_id
    from _validated
    where reason is null
),

others as (
    select order_id
    from staging.transactions
    where source = $source and not list_contains($files::varchar[], source_file)
),

repeats_of_loaded as (
    select source_file
    from staging.rejected_transactions
    where source = $source
        and not list_contains($files::varchar[], source_file)
        and starts_with(reason, 'order_id ''')
        and list_bool_or(list_transform($files::varchar[], f -> ends_with(reason, ' of ' || f)))
)

select
    exists (select 1 from others where order_id in (select order_id from loaded))
    or exists (select 1 from repeats_of_loaded) as collide
