-- Each customer's value tier and CLV at the scoring dates with the dimensions segment rules use, as known at
-- each date: region (sql/profit/stage_main_regions.sql, staged for these dates), channel (of acquisition), cohort
-- (acquisition quarter) and attributes. Totals over all the data (staging.customers' orders, revenue,
-- main_region, ...) are left out, so that a date's segments do not move when later data arrives.
select
    clv.period_end,
    clv.value_tier,
    clv.clv,
    clv.p_alive,
    coalesce(several.region, single.region) as region,
    customers.acquisition_channel as channel,
    strftime(customers.first_purchase, '%Y') || 'Q' || quarter(customers.first_purchase) as cohort,
    customers.* exclude (main_region, last_purchase, orders, purchase_days, revenue, returns_amount)
from clv.customer_clv as clv
inner join staging.customers as customers using (customer_id)
left join _main_regions as single on single.customer_id = clv.customer_id and single.period_end is null
left join _main_regions as several on several.customer_id = clv.customer_id and several.period_end = clv.period_end
where clv.period_end in (select unnest($dates::date[]))
