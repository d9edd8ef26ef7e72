-- The periods the history plan has this run compute (sql/ingest/plan_periods.sql).
select period_start from meta.period_fingerprints where recompute order by period_start
