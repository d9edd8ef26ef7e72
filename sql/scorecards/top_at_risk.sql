select customer_id, rank, segment, value_tier, prior_value_tier, p_alive, prior_p_alive, days_since_last_purchase,
    typical_days_between_purchases, reason, clv_at_stake
from profit.at_risk_customers
where segment = $segment
order by rank
limit $limit
