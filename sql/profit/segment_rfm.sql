-- Each segment's customers at one scoring date by (frequency, recency, t): how many, and their summed mean repeat
-- spend (below zero as zero, as the spend model takes it): what a segment's equity per parameter draw needs.
select
    segments.segment,
    segments.as_of_date,
    rfm.frequency,
    rfm.recency,
    rfm.t,
    count(*) as n,
    sum(greatest(rfm.monetary_value, 0)) as monetary_sum
from profit.customer_segments as segments
inner join clv.customer_rfm as rfm using (customer_id, as_of_date)
where segments.as_of_date = $as_of::date
group by all
