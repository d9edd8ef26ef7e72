insert into profit.customer_segments by name
select customer_id, as_of_date, segment, value_tier from _staged_customer_segments
