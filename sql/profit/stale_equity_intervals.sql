-- Stored dates whose segment equity intervals have no customer intervals behind them any more (under config
-- clv.interval_dates latest, an earlier run's as-of date, now a closed period end): rebuilt, so that the warehouse
-- holds what a fresh run would. A segment without customers at a date has an interval of 0, not null.
select distinct period_end as day
from profit.segment_profitability
where customers > 0 and customer_equity_low is not null
    and period_end not in (select distinct period_end from clv.customer_clv where clv_low is not null)
