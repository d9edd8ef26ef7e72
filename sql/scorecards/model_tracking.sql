-- The latest refit's clv.repeat_purchase_tracking, every purchase model.
with latest as (
    -- the refit that scored the latest as-of date (clv.customer_clv.fitted_through; docs/history.md)
    select any_value(run_id) as run_id, any_value(fitted_through) as period_end
    from clv.customer_clv
    where period_end = (select max(period_end) from clv.customer_clv)
)

select repeat_purchase_tracking.*
from clv.repeat_purchase_tracking
inner join latest using (run_id, period_end)
order by model, week
