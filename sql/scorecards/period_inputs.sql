-- Per period, in order: its accepted transactions' fingerprint and the settings digest its figures were computed
-- under (meta.period_fingerprints). pipelines/site/archive.py chains them into the inputs of each kept period's pages.
select period_start, period_end, fingerprint, history_hash
from meta.period_fingerprints
order by period_start
