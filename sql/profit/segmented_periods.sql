-- The periods whose end has segments (a date no model could score has P&L but no segments; docs/history.md).
select distinct period_start from profit.customer_profit
where period_end in (select distinct period_end from profit.customer_segments)
