-- The rows of profit.at_risk_customers at the scoring dates $dates, written by name by the table writer
-- (pipelines/warehouse/database.py); each compares with the stored date before it.
-- Watched tiers come from _watched_tiers (segment, value_tier); suggested actions from _action_rules
-- (rule_order, action, segments, tiers, reason, min_expected_loss), both registered from the config.
with dates as (
    select period_end, lag(period_end) over (order by period_end) as prior_date
    from (select distinct period_end from profit.customer_segments)
),

-- the dates written and the prior date of each: every table below is read at these dates only, so that no join
-- holds more than the customers of one date pair (a join on the prior date alone read every stored date)
written as (
    select * from dates where period_end in (select unnest($dates::date[]))
),

segments as (
    select customer_id, period_end, segment from profit.customer_segments
    where period_end in (select period_end from written) or period_end in (select prior_date from written)
),

scores as (
    select customer_id, period_end, value_tier, p_alive, clv from clv.customer_clv
    where period_end in (select period_end from written) or period_end in (select prior_date from written)
),

scored as (
    select
        segments.customer_id,
        segments.period_end,
        segments.segment as current_segment,
        prior_segments.segment as prior_segment,
        scores.value_tier,
        prior.value_tier as prior_value_tier,
        scores.p_alive,
        prior.p_alive as prior_p_alive,
        scores.clv,
        prior.clv as prior_clv,
        rfm.frequency,
        rfm.first_purchase,
        rfm.last_purchase
    from segments
    inner join written using (period_end)
    inner join scores using (customer_id, period_end)
    inner join (
        select customer_id, period_end, frequency, first_purchase, last_purchase from clv.customer_rfm
        where period_end in (select period_end from written)
    ) as rfm using (customer_id, period_end)
    left join segments as prior_segments
        on prior_segments.customer_id = segments.customer_id and prior_segments.period_end = written.prior_date
    left join scores as prior
        on prior.customer_id = segments.customer_id and prior.period_end = written.prior_date
),

listed as (
    -- a customer who lapsed in the period stays on the list of the segment they left
    select
        *,
        case when current_segment = $lapsed and prior_segment is not null then prior_segment else current_segment end as segment
    from scored
),

watched as (
    select listed.*
    from listed
    semi join _watched_tiers as w
        on w.segment = listed.segment and (w.value_tier = listed.value_tier or w.value_tier = listed.prior_value_tier)
),

measured as (
    select
        *,
        period_end - last_purchase as days_since_last_purchase,
        case when frequency >= 2 then (last_purchase - first_purchase) / frequency end as typical_days_between_purchases,
        greatest(clv, coalesce(prior_clv, clv)) as clv_at_stake
    from watched
),

flagged as (
    select
        *,
        coalesce(prior_p_alive - p_alive > $p_alive_drop, false) as dropped,
        coalesce(days_since_last_purchase > $overdue_factor * typical_days_between_purchases, false) as overdue,
        round(clv_at_stake * (1 - p_alive), 2)::decimal(18, 2) as expected_loss
    from measured
    where days_since_last_purchase > $recent_days
),

final as (
    select
        customer_id,
        period_end,
        row_number() over (partition by period_end, segment order by expected_loss desc, clv_at_stake desc, customer_id) as rank,
        segment,
        current_segment,
        value_tier,
        prior_value_tier,
        p_alive,
        prior_p_alive,
        prior_p_alive - p_alive as p_alive_drop,
        last_purchase,
        days_since_last_purchase,
        typical_days_between_purchases,
        case when dropped and overdue then 'p_alive drop and overdue' when dropped then 'p_alive drop' else 'overdue' end as reason,
        clv_at_stake,
        prior_clv,
        expected_loss,
        coalesce((
            select r.action
            from _action_rules as r
            where (r.segments is null or list_contains(r.segments, flagged.segment))
                and (r.tiers is null or list_contains(r.tiers, coalesce(flagged.prior_value_tier, flagged.value_tier)))
                and (r.reason = 'any' or (r.reason = 'overdue' and flagged.overdue) or (r.reason = 'p_alive_drop' and flagged.dropped))
                and flagged.expected_loss >= r.min_expected_loss
            order by r.rule_order
            limit 1
        ), 'no action') as suggested_action
    from flagged
    where dropped or overdue
)

select * from final
