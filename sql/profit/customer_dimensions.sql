-- Each customer's value tier and CLV at the scoring dates with the dimensions segment rules use:
-- region (most frequent), channel (of acquisition), cohort (acquisition quarter) and attributes.
select
    clv.period_end,
    clv.value_tier,
    clv.clv,
    clv.p_alive,
    customers.main_region as region,
    customers.acquisition_channel as channel,
    strftime(customers.first_purchase, '%Y') || 'Q' || quarter(customers.first_purchase) as cohort,
    customers.*
from clv.customer_clv as clv
inner join staging.customers as customers using (customer_id)
where clv.period_end in (select unnest($dates::date[]))
