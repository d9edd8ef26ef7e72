select segment, period_end, period_start, kpi, label, unit, manager, manager_email, value, target, better, status,
    prior_value, change, definition, costs_assumed
from scorecards.segment_scorecard
order by segment, period_end, kpi
