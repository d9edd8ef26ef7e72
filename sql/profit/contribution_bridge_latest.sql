-- The contribution bridge of the latest period against the period before, one row per segment (Dagster metadata).
select segment, base_contribution, customer_count_effect, revenue_per_customer_effect, margin_effect, cost_to_serve_effect,
    returns_effect, marketing_effect, contribution
from profit.segment_contribution_bridge
where basis = 'prior_period' and period_start = (select max(period_start) from profit.segment_contribution_bridge)
order by segment
