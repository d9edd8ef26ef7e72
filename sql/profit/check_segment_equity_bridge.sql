-- Bridges that do not reconcile to the cent (must be none): the flows against the end equity, the end equity
-- against profit.segment_profitability, and the start equity against the segment's equity at the previous period end.
with equity as (
    select
        segment,
        period_start,
        customer_equity,
        lag(customer_equity) over (partition by segment order by period_start) as prior_equity,
        lag(period_end) over (partition by segment order by period_start) as prior_end
    from profit.segment_profitability
),

compared as (
    select
        bridge.segment,
        bridge.period_start,
        bridge.start_equity + bridge.acquired - bridge.lapsed - bridge.migrated_out + bridge.migrated_in
            + bridge.value_change as flows_to_end,
        bridge.end_equity,
        coalesce(equity.customer_equity, 0) as segment_equity,
        bridge.start_equity,
        case when equity.prior_end = bridge.start_date then equity.prior_equity else 0 end as prior_segment_equity
    from profit.segment_equity_bridge as bridge
    left join equity using (segment, period_start)
)

select *
from compared
where flows_to_end <> end_equity or end_equity <> segment_equity or start_equity <> prior_segment_equity
order by period_start, segment
