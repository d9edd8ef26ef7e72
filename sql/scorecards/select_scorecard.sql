select segment, as_of_date, period_start, kpi, label, unit, manager, manager_email, value, target, better, status,
    prior_value, change, definition, costs_assumed
from scorecards.segment_scorecard
order by segment, as_of_date, kpi
