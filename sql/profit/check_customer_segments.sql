-- Customers scored by CLV without exactly one segment at a date (must be none).
select clv.as_of_date, count(*) filter (where segments.customer_id is null) as missing,
    (select count(*) - count(distinct (customer_id, as_of_date)) from profit.customer_segments) as duplicated
from clv.customer_clv as clv
left join profit.customer_segments as segments using (customer_id, as_of_date)
group by clv.as_of_date
having count(*) filter (where segments.customer_id is null) > 0
    or (select count(*) - count(distinct (customer_id, as_of_date)) from profit.customer_segments) > 0
