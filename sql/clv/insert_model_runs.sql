insert into clv.model_runs by name
select * from _model_runs
