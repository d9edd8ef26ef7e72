-- The rows of clv.customer_rfm, written by name by the table writer (pipelines/warehouse/database.py: write).
select *, $time_unit as time_unit
from rfm($dates::date[], $days_per_unit::double, purchase_day := $purchase_day)
