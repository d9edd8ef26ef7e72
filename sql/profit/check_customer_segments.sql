-- Customers scored by CLV without exactly one segment at a date (must be none): per date, scored
-- customers with no segment, and customer-dates with more than one.
with missing as (
    select clv.as_of_date, count(*) as missing
    from clv.customer_clv as clv
    anti join profit.customer_segments as segments using (customer_id, as_of_date)
    group by clv.as_of_date
),

duplicated as (
    select as_of_date, count(*) as duplicated
    from (
        select customer_id, as_of_date
        from profit.customer_segments
        group by customer_id, as_of_date
        having count(*) > 1
    )
    group by as_of_date
)

select
    coalesce(missing.as_of_date, duplicated.as_of_date) as as_of_date,
    coalesce(missing.missing, 0) as missing,
    coalesce(duplicated.duplicated, 0) as duplicated
from missing
full outer join duplicated using (as_of_date)
order by as_of_date
