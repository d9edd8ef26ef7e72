delete from profit.customer_segments
