-- Every published run that restated closed periods, newest first: when, which periods, why (meta.runs). The pages
-- keep announcing a restatement after later runs, so a figure that changed after it was published stays marked.
select
    run_id,
    finished_at,
    restated,
    restatement_reason,
    run_id = (select arg_max(run_id, finished_at) from meta.runs) as this_run
from meta.runs
where len(restated) > 0
order by finished_at desc
