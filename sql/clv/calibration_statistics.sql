-- What the backtests need at every forecast origin ($calibration_ends, $holdout_ends: the origins' windows in origin
-- order), compressed: customers sharing an origin, calibration RFM, holdout outcome and fit group
-- (sql/clv/fit_groups.sql), counted (n).
select
    frequency,
    recency,
    t,
    monetary_value,
    frequency_holdout,
    monetary_value_holdout,
    count(*)::bigint as n,
    fit_group,
    origin::integer as origin
from calibration_holdout($calibration_ends::date[], $holdout_ends::date[], $days_per_unit::double, purchase_day := $purchase_day,
                         line_days := $line_days)
left join _fit_groups using (customer_id)
group by all
order by origin, frequency, recency, t, monetary_value, frequency_holdout, monetary_value_holdout, n, fit_group
