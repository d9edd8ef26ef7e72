-- In the refit that scored $as_of: one pooled fit compared with fits by group (config clv.fit_by), summed over the
-- forecast origins (stage group_comparison), and, when by group won, each group's purchase fit that scores its customers.
with latest as (
    -- the refit that scored the pages' date $as_of (clv.customer_clv.fitted_through; docs/history.md)
    select any_value(run_id) as run_id, any_value(fitted_through) as period_end
    from clv.customer_clv
    where period_end = $as_of
)

select
    stage,
    model,
    fit_group,
    bool_or(chosen) as chosen,
    count(*) as origins,
    case when count(holdout_log_likelihood) = count(*) then sum(holdout_log_likelihood) end as holdout_log_likelihood,
    case when count(bic) = count(*) then sum(bic) end as bic,
    any_value(n_parameters) as n_parameters,
    any_value(n_customers) filter (where forecast_origin = 0 or forecast_origin is null) as customers,
    any_value(parameters)::varchar as parameters,
    any_value(note) as note
from clv.model_runs
inner join latest using (run_id, period_end)
where stage = 'group_comparison'
   or (stage = 'final' and fit_group is not null and model in ('bgnbd', 'paretonbd', 'mbgnbd'))
group by all
order by stage desc, chosen desc, fit_group
