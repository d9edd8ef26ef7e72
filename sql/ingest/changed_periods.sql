-- The closed periods whose accepted transactions changed since the last published run.
select period_start
from meta.period_fingerprints
where inputs_changed
order by period_start
