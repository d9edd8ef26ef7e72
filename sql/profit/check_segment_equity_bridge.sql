-- Bridges to $dates (the scoring dates a run wrote) that do not reconcile to the cent (must be none): the flows
-- against the end equity, the end equity against profit.segment_profitability, and the start equity against the
-- segment's CLV summed afresh at the start date (the previous scoring date, which need not have a P&L period of
-- its own).
with bridge as (
    select * from profit.segment_equity_bridge where period_end in (select unnest($dates::date[]))
),

equity as (
    select segments.segment, segments.period_end, sum(coalesce(clv.clv, 0)) as equity
    from profit.customer_segments as segments
    left join (select customer_id, period_end, clv from clv.customer_clv
               where period_end in (select start_date from bridge)) as clv using (customer_id, period_end)
    where segments.period_end in (select start_date from bridge)
    group by all
),

compared as (
    select
        bridge.segment,
        bridge.period_start,
        bridge.start_equity + bridge.acquired - bridge.lapsed - bridge.migrated_out + bridge.migrated_in
            + bridge.value_change as flows_to_end,
        bridge.end_equity,
        coalesce(segment_pnl.customer_equity, 0) as segment_equity,
        bridge.start_equity,
        coalesce(at_start.equity, 0) as equity_at_start
    from bridge
    left join profit.segment_profitability as segment_pnl using (segment, period_start)
    left join equity as at_start on at_start.segment = bridge.segment and at_start.period_end = bridge.start_date
)

select *
from compared
where flows_to_end <> end_equity or end_equity <> segment_equity or start_equity <> equity_at_start
order by period_start, segment
