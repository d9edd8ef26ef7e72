-- The customers in the lapsed segment at $as_of: the managed segment they were last in, when they lapsed, their CLV
-- then, what they bought and contributed up to $as_of (their last purchase and purchase days from the RFM at $as_of,
-- under clv.purchase_day: nothing after $as_of), and their probability alive now. The lapsed page stages these rows as
-- _lapsed_customers and reads its summary and win-back list from them (lapsed_by_segment, lapsed_win_back).
with now_lapsed as (
    select customer_id from profit.customer_segments where period_end = $as_of::date and segment = $lapsed
),

history as (
    -- the segments of the lapsed customers up to $as_of
    select customer_id, period_end, segment
    from profit.customer_segments
    where period_end <= $as_of::date and customer_id in (select customer_id from now_lapsed)
),

last_managed as (
    select
        customer_id,
        max(period_end) filter (where segment <> $lapsed) as last_managed_date,
        arg_max(segment, period_end) filter (where segment <> $lapsed) as former_segment
    from history
    group by all
),

lapsed_on as (
    -- the first scoring date after the last one in a managed segment
    select history.customer_id, min(history.period_end) as lapsed_on
    from history
    inner join last_managed using (customer_id)
    where history.period_end > coalesce(last_managed.last_managed_date, date '0001-01-01')
    group by all
),

lifetime as (
    select customer_id, sum(revenue) as lifetime_revenue, sum(contribution) as lifetime_contribution
    from profit.customer_profit
    where period_end <= $as_of::date and customer_id in (select customer_id from now_lapsed)
    group by all
),

final as (
    select
        now_lapsed.customer_id,
        last_managed.former_segment,
        last_managed.last_managed_date,
        lapsed_on.lapsed_on,
        then_clv.clv as clv_before_lapsing,
        then_clv.value_tier as tier_before_lapsing,
        coalesce(lifetime.lifetime_revenue, 0) as lifetime_revenue,
        coalesce(lifetime.lifetime_contribution, 0) as lifetime_contribution,
        now_clv.p_alive,
        now_clv.clv,
        rfm.last_purchase,
        rfm.frequency + 1 as purchase_days
    from now_lapsed
    left join last_managed using (customer_id)
    left join lapsed_on using (customer_id)
    left join clv.customer_clv as then_clv
        on then_clv.customer_id = now_lapsed.customer_id and then_clv.period_end = last_managed.last_managed_date
    left join clv.customer_clv as now_clv
        on now_clv.customer_id = now_lapsed.customer_id and now_clv.period_end = $as_of::date
    left join lifetime using (customer_id)
    inner join clv.customer_rfm as rfm on rfm.customer_id = now_lapsed.customer_id and rfm.period_end = $as_of::date
)

select * from final
