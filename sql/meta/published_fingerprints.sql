-- The period fingerprints as this run publishes them: the next run compares its own with these.
create or replace temp table _published_fingerprints as
select * replace (fingerprint as published_fingerprint, closed as published_closed, history_hash as published_history_hash)
from meta.period_fingerprints
