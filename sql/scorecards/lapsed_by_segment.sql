-- The lapsed customers at $as_of (sql/scorecards/lapsed_customers.sql, staged as _lapsed_customers) by the managed
-- segment they were last in ('' for those never in one), most lifetime contribution first, then one total row
-- (is_total): how many, how many lapsed at $as_of and since $recent_from, their CLV before lapsing (0 where unscored
-- then) and their revenue and contribution over their whole history.
with lapsed as (
    select
        coalesce(former_segment, '') as former_segment,
        lapsed_on,
        clv_before_lapsing,
        lifetime_revenue,
        lifetime_contribution
    from _lapsed_customers
),

final as (
    select
        former_segment,
        grouping(former_segment) = 1 as is_total,
        count(*) as customers,
        count(*) filter (where lapsed_on = $as_of::date) as this_period,
        count(*) filter (where lapsed_on >= $recent_from::date) as recent,
        coalesce(sum(clv_before_lapsing), 0) as clv_before_lapsing,
        coalesce(sum(lifetime_revenue), 0) as lifetime_revenue,
        coalesce(sum(lifetime_contribution), 0) as lifetime_contribution
    from lapsed
    group by grouping sets ((former_segment), ())
)

select * from final
order by is_total, lifetime_contribution desc, former_segment
