-- Each segment's scored customers at one scoring date by (frequency, recency, t, marketed_months), each counted as the
-- share of its spend it is expected to keep (1 - cogs_rate - returns_cost_rate), their mean repeat spend (below zero as
-- zero, as the spend model takes it) weighted alike, and their summed cost to serve per order and marketing cost per
-- month: what a segment's equity interval needs (models.clv.intervals), by the fit that scored them (fit_group: a
-- group's own fits, null: the pooled ones).
select
    segments.segment,
    segments.period_end,
    rfm.frequency,
    rfm.recency,
    rfm.t,
    coalesce(scores.marketed_months, 0) as marketed_months,
    scores.fit_group,
    sum(kept.share) as kept,
    sum(kept.share * greatest(rfm.monetary_value, 0)) as kept_spend,
    sum(coalesce(scores.cost_to_serve_per_order, 0)) as cost_to_serve_per_order,
    sum(coalesce(scores.marketing_cost_per_month, 0)) as marketing_cost_per_month
from profit.customer_segments as segments
inner join clv.customer_rfm as rfm using (customer_id, period_end)
inner join clv.customer_clv as scores using (customer_id, period_end)
-- rows scored before CLV in profit terms have no unit economics: margin rate x (1 - expected return rate), as they were
cross join lateral (select coalesce(1 - scores.cogs_rate - scores.returns_cost_rate,
                                    $margin_rate * (1 - coalesce(scores.expected_return_rate, 0))) as share) as kept
where segments.period_end = $as_of::date
group by all
