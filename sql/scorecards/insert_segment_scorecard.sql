-- KPIs of every segment at every period end from the segment P&L and migration, with targets
-- and definitions from _kpi_settings (segment, kpi, label, unit, better, definition, target, amber_within)
-- and managers from _segment_info (segment, manager, manager_email).
with migration as (
    select segment, period_end, sum(joined) - sum(left_segment) as net_migration
    from (
        select to_segment as segment, period_end, customers as joined, 0 as left_segment
        from profit.segment_migration where from_segment <> to_segment
        union all
        select from_segment, period_end, 0, customers
        from profit.segment_migration where from_segment <> to_segment and from_segment <> 'new'
    )
    group by all
),

periods as (
    select distinct period_end, lag(period_end) over (order by period_end) as prior_end
    from (select distinct period_end from profit.segment_profitability)
),

saves as (
    -- customers on a segment's action list at the previous period end who ordered in this period
    select
        flagged.segment,
        periods.period_end,
        count(*) filter (where bought.orders > 0) / count(*) as save_rate
    from profit.at_risk_customers as flagged
    inner join periods on periods.prior_end = flagged.period_end
    left join profit.customer_profit as bought
        on bought.customer_id = flagged.customer_id and bought.period_end = periods.period_end
    group by all
),

wide as (
    select
        p.segment,
        p.period_end,
        p.period_start,
        p.costs_assumed,
        p.customers::double as customers,
        p.active_customers::double as active_customers,
        p.revenue::double as revenue,
        p.contribution::double as contribution,
        p.contribution_per_customer::double as contribution_per_customer,
        p.share_of_contribution,
        p.customer_equity::double as customer_equity,
        p.average_clv::double as average_clv,
        p.retention_rate,
        p.repeat_purchase_rate,
        saves.save_rate,
        coalesce(m.net_migration, 0)::double as net_migration
    from profit.segment_profitability as p
    left join migration as m on m.segment = p.segment and m.period_end = p.period_end
    left join saves on saves.segment = p.segment and saves.period_end = p.period_end
),

long as (
    select *
    from wide unpivot include nulls (
        value for kpi in (customers, active_customers, revenue, contribution, contribution_per_customer,
                          share_of_contribution, customer_equity, average_clv, retention_rate, repeat_purchase_rate,
                          save_rate, net_migration)
    )
),

with_settings as (
    select
        long.*,
        s.label, s.unit, s.better, s.definition, s.target, s.amber_within,
        info.manager, info.manager_email,
        lag(long.value) over (partition by long.segment, long.kpi order by long.period_end) as prior_value
    from long
    inner join _kpi_settings as s on s.segment = long.segment and s.kpi = long.kpi
    left join _segment_info as info on info.segment = long.segment
),

final as (
    select
        segment, period_end, period_start, kpi, label, unit, manager, manager_email, value, target, better,
        case
            when target is null or value is null then null
            when target = 0 then
                case when (better = 'higher' and value >= 0) or (better = 'lower' and value <= 0) then 'green' else 'red' end
            when (case when better = 'higher' then target - value else value - target end) / abs(target) <= 0 then 'green'
            when (case when better = 'higher' then target - value else value - target end) / abs(target) <= amber_within then 'amber'
            else 'red'
        end as status,
        prior_value,
        value - prior_value as change,
        definition,
        costs_assumed
    from with_settings
)

select * from final
