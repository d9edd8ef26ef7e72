-- Work table for the segments of every date, filled one date at a time outside the transaction that
-- replaces profit.customer_segments.
create or replace temp table _staged_customer_segments as
select customer_id, period_end, segment, value_tier, region from profit.customer_segments limit 0
