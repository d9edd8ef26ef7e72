-- The history plan (pipelines/warehouse/history.py): which periods this run computes and which of those it restates.
update meta.period_fingerprints
set recompute = period_start in (select unnest($recompute::date[])),
    restated = period_start in (select unnest($restated::date[])),
    restatement_reason = case when period_start in (select unnest($restated::date[])) then $reason end
