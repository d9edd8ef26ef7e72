-- Each segment's scored customers at one scoring date by (frequency, recency, t), each counted as the share of its
-- spend it is expected to keep (1 - expected_return_rate), and their mean repeat spend (below zero as zero, as the
-- spend model takes it) weighted alike: what a segment's equity per parameter draw needs (models.clv.intervals).
select
    segments.segment,
    segments.period_end,
    rfm.frequency,
    rfm.recency,
    rfm.t,
    sum(1 - coalesce(scores.expected_return_rate, 0)) as kept,
    sum((1 - coalesce(scores.expected_return_rate, 0)) * greatest(rfm.monetary_value, 0)) as kept_spend
from profit.customer_segments as segments
inner join clv.customer_rfm as rfm using (customer_id, period_end)
inner join clv.customer_clv as scores using (customer_id, period_end)
where segments.period_end = $as_of::date
group by all
