-- Customers scored by CLV without exactly one segment at a date (must be none), at $dates (the scoring dates a
-- run computed): per date, scored customers with no segment, and customer-dates with more than one.
with missing as (
    select clv.period_end, count(*) as missing
    from clv.customer_clv as clv
    anti join profit.customer_segments as segments using (customer_id, period_end)
    where clv.period_end in (select unnest($dates::date[]))
    group by clv.period_end
),

duplicated as (
    select period_end, count(*) as duplicated
    from (
        select customer_id, period_end
        from profit.customer_segments
        where period_end in (select unnest($dates::date[]))
        group by customer_id, period_end
        having count(*) > 1
    )
    group by period_end
)

select
    coalesce(missing.period_end, duplicated.period_end) as period_end,
    coalesce(missing.missing, 0) as missing,
    coalesce(duplicated.duplicated, 0) as duplicated
from missing
full outer join duplicated using (period_end)
order by period_end
