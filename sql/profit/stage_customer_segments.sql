-- One scoring date's segments into the work table (sql/profit/staged_customer_segments.sql).
insert into _staged_customer_segments by name
select customer_id, period_end, segment, value_tier, region from _customer_segments
