-- The $top lapsed customers (staged as _lapsed_customers) worth a win-back offer most: lapsed since $recent_from, with
-- CLV before lapsing, most of it first.
select
    customer_id,
    former_segment,
    tier_before_lapsing,
    lapsed_on,
    clv_before_lapsing,
    lifetime_contribution,
    p_alive,
    last_purchase,
    purchase_days
from _lapsed_customers
where lapsed_on >= $recent_from::date and clv_before_lapsing <> 0
order by clv_before_lapsing desc, lifetime_contribution desc, customer_id
limit $top
