-- calibration_holdout(calibration_ends, holdout_ends, days_per_unit, purchase_day): for each forecast origin (its
-- position in the lists, 0 first), RFM at its calibration end for customers acquired by then, with their actual
-- repeat purchase days in its holdout period (calibration_end, holdout_end] and those days' mean value, counted under
-- the same purchase-day policy as RFM; with any_line, as lifetimes' calibration_and_holdout_data(freq='D') counts
-- them. Two passes over the transactions whatever the number of origins: RFM at every calibration end at once, and
-- the purchase days up to the last holdout end, each counted in the holdouts it falls in (a day's purchase status
-- depends on that day's lines only, so the days up to a later date hold those up to an earlier one).
-- Needs the rfm and customer_days macros (sql/clv/rfm.sql), which read the customer days from line_days.
create or replace temp macro calibration_holdout(calibration_ends, holdout_ends, days_per_unit, purchase_day := 'net_positive',
                                                 line_days := '_line_days') as table
with origins as (
    select
        unnest(calibration_ends::date[]) as calibration_end,
        unnest(holdout_ends::date[]) as holdout_end,
        generate_subscripts(calibration_ends::date[], 1) - 1 as origin
),

calibration as (
    select * from rfm(list_distinct(calibration_ends::date[]), days_per_unit::double, purchase_day := purchase_day,
                      line_days := line_days)
),

purchase_days as (
    select customer_id, order_date, day_amount
    from customer_days((select max(holdout_end) from origins), purchase_day, line_days := line_days)
    where is_purchase
),

holdout as (
    select
        origins.origin,
        purchase_days.customer_id,
        count(*) as frequency_holdout,
        sum(purchase_days.day_amount)::double / count(*) as monetary_value_holdout
    from purchase_days
    inner join origins
        on purchase_days.order_date > origins.calibration_end and purchase_days.order_date <= origins.holdout_end
    group by origins.origin, purchase_days.customer_id
),

final as (
    select
        origins.origin,
        calibration.customer_id,
        calibration.frequency,
        calibration.recency,
        calibration.t,
        calibration.monetary_value,
        coalesce(holdout.frequency_holdout, 0) as frequency_holdout,
        coalesce(holdout.monetary_value_holdout, 0) as monetary_value_holdout
    from calibration
    inner join origins on calibration.period_end = origins.calibration_end
    left join holdout on holdout.origin = origins.origin and holdout.customer_id = calibration.customer_id
)

select * from final
