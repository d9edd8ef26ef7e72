-- The equity bridge of the latest period, one row per segment (Dagster metadata).
select segment, start_equity, acquired, lapsed, migrated_out, migrated_in, value_change, end_equity
from profit.segment_equity_bridge
where period_start = (select max(period_start) from profit.segment_equity_bridge)
order by segment
