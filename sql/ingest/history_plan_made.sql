-- Whether a history plan was recorded in meta.period_fingerprints (a run's ingest makes one).
select count(recompute) > 0 as planned from meta.period_fingerprints
