-- Forget runs that never switched in (killed or failed while publishing): meta.runs lists published runs only.
delete from meta.runs
where not list_contains($published_run_ids, run_id)
