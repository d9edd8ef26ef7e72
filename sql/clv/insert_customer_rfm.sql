insert into clv.customer_rfm
select *, $time_unit as time_unit
from rfm($dates::date[], $days_per_unit::double)
