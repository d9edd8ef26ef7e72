-- A segment's whole action list at $as_of, in rank order (the page shows the top, the CSV all of it).
select
    rank,
    customer_id,
    suggested_action,
    expected_loss,
    clv_at_stake,
    p_alive,
    prior_p_alive,
    reason,
    last_purchase,
    days_since_last_purchase,
    typical_days_between_purchases as usual_gap_days,
    value_tier,
    prior_value_tier,
    current_segment
from profit.at_risk_customers
where segment = $segment and period_end = $as_of::date
order by rank
