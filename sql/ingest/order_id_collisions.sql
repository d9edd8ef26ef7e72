-- Whether this incremental load ($files read now or removed) would change which line of another file of the
-- source is kept for an order id: an accepted line of another file that is no longer the first occurrence
-- (sql/ingest/repeated_order_ids.sql), or another file's line rejected as a repeat of a line in one of $files
-- (the reason sql/ingest/mark_repeated_order_ids.sql writes ends with that file). Then the whole source is read
-- again, so that the line kept is the first by file and line, as in a full load.
with kept_not_first as (
    select 1
    from staging.transactions as t
    join _repeated_order_ids as r using (order_id)
    where t.source = $source
        and not list_contains($files::varchar[], t.source_file)
        and not (t.source_file = r.first_file and t.line_number = r.first_line)
),

repeats_of_touched as (
    select 1
    from staging.rejected_transactions
    where source = $source
        and not list_contains($files::varchar[], source_file)
        and starts_with(reason, 'order_id ''')
        and list_bool_or(list_transform($files::varchar[], lambda f: ends_with(reason, ' of ' || f)))
)

select exists (select 1 from kept_not_first) or exists (select 1 from repeats_of_touched) as collide
