-- Intervals only at the dates that get them (config clv.interval_dates): under latest, the as-of date of an earlier
-- run, now a closed period end kept as published, keeps its scores and loses its intervals, as a fresh run has it.
update clv.customer_clv
set clv_low = null, clv_high = null, p_alive_low = null, p_alive_high = null
where not list_contains($dates::date[], period_end)
  and (clv_low is not null or clv_high is not null or p_alive_low is not null or p_alive_high is not null)
