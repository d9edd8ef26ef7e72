-- The rows of profit.at_risk_customers, written by name by the table writer (pipelines/warehouse/database.py: write).
with dates as (
    select max(as_of_date) as as_of_date, max(as_of_date) filter (where as_of_date < (select max(as_of_date) from clv.customer_clv)) as prior_date
    from clv.customer_clv
),

current as (
    select clv.*, segments.segment, rfm.frequency, rfm.first_purchase, rfm.last_purchase
    from clv.customer_clv as clv
    inner join dates using (as_of_date)
    inner join profit.customer_segments as segments using (customer_id, as_of_date)
    inner join clv.customer_rfm as rfm using (customer_id, as_of_date)
),

flagged as (
    select
        current.customer_id,
        current.as_of_date,
        current.segment,
        current.value_tier,
        prior.value_tier as prior_value_tier,
        current.p_alive,
        prior.p_alive as prior_p_alive,
        prior.p_alive - current.p_alive as p_alive_drop,
        current.last_purchase,
        current.as_of_date - current.last_purchase as days_since_last_purchase,
        case when current.frequency >= 2 then (current.last_purchase - current.first_purchase) / current.frequency end
            as typical_days_between_purchases,
        greatest(current.clv, coalesce(prior.clv, current.clv)) as clv_at_stake,
        prior.clv as prior_clv,
        coalesce(prior.p_alive - current.p_alive > $p_alive_drop, false) as dropped,
        coalesce(current.as_of_date - current.last_purchase
            > $overdue_factor * (current.last_purchase - current.first_purchase) / current.frequency
            and current.frequency >= 2, false) as overdue
    from current
    left join clv.customer_clv as prior
        on prior.customer_id = current.customer_id and prior.as_of_date = (select prior_date from dates)
    where current.value_tier in (select unnest($tiers::varchar[]))
        or prior.value_tier in (select unnest($tiers::varchar[]))
),

final as (
    select
        customer_id,
        as_of_date,
        row_number() over (order by clv_at_stake desc, customer_id) as rank,
        segment,
        value_tier,
        prior_value_tier,
        p_alive,
        prior_p_alive,
        p_alive_drop,
        last_purchase,
        days_since_last_purchase,
        typical_days_between_purchases,
        case when dropped and overdue then 'p_alive drop and overdue' when dropped then 'p_alive drop' else 'overdue' end as reason,
        clv_at_stake,
        prior_clv
    from flagged
    where dropped or overdue
)

select * from final
