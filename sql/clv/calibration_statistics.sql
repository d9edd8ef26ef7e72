-- What the backtest needs, compressed: customers sharing calibration RFM, holdout outcome and fit group (sql/clv/fit_groups.sql), counted (n).
select
    frequency,
    recency,
    t,
    monetary_value,
    frequency_holdout,
    monetary_value_holdout,
    count(*)::bigint as n,
    fit_group
from calibration_holdout($calibration_end::date, $holdout_end::date, $days_per_unit::double, purchase_day := $purchase_day)
left join _fit_groups using (customer_id)
group by all
order by all
