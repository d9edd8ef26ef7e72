-- The refit dates clv.model_runs holds a chosen final purchase model for.
select distinct as_of_date from clv.model_runs where chosen and stage = 'final' order by as_of_date
