-- calibration_holdout(calibration_end, holdout_end, days_per_unit, purchase_day): RFM at the calibration end for
-- customers acquired by then, with their actual repeat purchase days in the holdout period
-- (calibration_end, holdout_end] and those days' mean value, counted under the same purchase-day policy as RFM;
-- with any_line, as lifetimes' calibration_and_holdout_data(freq='D') counts them.
-- Needs the rfm and customer_days macros (sql/clv/rfm.sql).
create or replace temp macro calibration_holdout(calibration_end, holdout_end, days_per_unit, purchase_day := 'net_positive') as table
with calibration as (
    select * from rfm([calibration_end::date], days_per_unit::double, purchase_day := purchase_day)
),

holdout as (
    select
        customer_id,
        count(*) as frequency_holdout,
        sum(day_amount)::double / count(*) as monetary_value_holdout
    from customer_days(holdout_end::date, purchase_day)
    where order_date > calibration_end::date and is_purchase
    group by customer_id
),

final as (
    select
        calibration.customer_id,
        calibration.frequency,
        calibration.recency,
        calibration.t,
        calibration.monetary_value,
        coalesce(holdout.frequency_holdout, 0) as frequency_holdout,
        coalesce(holdout.monetary_value_holdout, 0) as monetary_value_holdout
    from calibration
    left join holdout using (customer_id)
)

select * from final
