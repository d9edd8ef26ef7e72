-- calibration_holdout(calibration_end, holdout_end, days_per_unit): RFM at the calibration end for
-- customers acquired by then, with their actual repeat purchase days in the holdout period
-- (calibration_end, holdout_end], as lifetimes' calibration_and_holdout_data(freq='D') counts them.
-- Needs the rfm macro (sql/clv/rfm.sql).
create or replace temp macro calibration_holdout(calibration_end, holdout_end, days_per_unit) as table
with calibration as (
    select * from rfm([calibration_end::date], days_per_unit::double)
),

holdout as (
    select
        customer_id,
        count(distinct order_date) as frequency_holdout,
        sum(amount)::double / count(distinct order_date) as monetary_value_holdout
    from staging.transactions
    where order_date > calibration_end::date and order_date <= holdout_end::date
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
