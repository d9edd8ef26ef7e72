-- The refit dates clv.model_runs holds a chosen final purchase model for.
select distinct period_end from clv.model_runs where chosen and stage = 'final' order by period_end
