-- Headline CLV figures for the run summary: scored customers, chosen model and customer equity.
select
    count(*) as customers,
    any_value(purchase_model) as purchase_model,
    any_value(spend_model) as spend_model,
    sum(clv) as customer_equity,
    any_value(period_end) as period_end,
    any_value(horizon_months) as horizon_months
from clv.customer_clv
where period_end = (select max(period_end) from clv.customer_clv)
