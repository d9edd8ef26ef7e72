-- Contribution bridges that do not reconcile to the cent (must be none): the effects against the end, and both
-- ends against the segment P&L of their period.
with compared as (
    select
        bridge.segment,
        bridge.period_start,
        bridge.basis,
        bridge.base_contribution + bridge.customer_count_effect + bridge.revenue_per_customer_effect + bridge.margin_effect
            + bridge.cost_to_serve_effect + bridge.returns_effect + bridge.marketing_effect as effects_to_end,
        bridge.contribution,
        coalesce(this.contribution, 0) as segment_contribution,
        bridge.base_contribution,
        coalesce(base.contribution, 0) as segment_base_contribution
    from profit.segment_contribution_bridge as bridge
    left join profit.segment_profitability as this
        on this.segment = bridge.segment and this.period_start = bridge.period_start
    left join profit.segment_profitability as base
        on base.segment = bridge.segment and base.period_start = bridge.base_period_start
)

select *
from compared
where effects_to_end <> contribution or contribution <> segment_contribution or base_contribution <> segment_base_contribution
order by period_start, segment, basis
