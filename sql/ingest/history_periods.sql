-- Per period, what the history plan needs: whether the last published run had it closed with the same inputs and
-- settings. Inputs are cumulative (a period end's RFM reads every earlier day), so a period also counts as changed
-- when an earlier one did.
with periods as (
    select
        period_start,
        period_end,
        closed,
        coalesce(published_closed, false) as published_closed,
        coalesce(published_closed and fingerprint = published_fingerprint, false) as same_inputs,
        history_hash is not distinct from published_history_hash as same_settings
    from meta.period_fingerprints
)

select
    period_start,
    period_end,
    closed,
    published_closed,
    bool_and(same_inputs and same_settings) over (order by period_start rows between unbounded preceding and current row) as unchanged,
    published_closed and not same_settings as settings_changed
from periods
order by period_start
