-- The runs a published snapshot lists.
select run_id from meta.runs
