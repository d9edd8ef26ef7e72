-- What the backtest needs, compressed: customers sharing calibration RFM and holdout outcome, counted (n).
select
    frequency,
    recency,
    t,
    monetary_value,
    frequency_holdout,
    monetary_value_holdout,
    count(*)::bigint as n
from calibration_holdout($calibration_end::date, $holdout_end::date, $days_per_unit::double, purchase_day := $purchase_day)
group by all
order by all
