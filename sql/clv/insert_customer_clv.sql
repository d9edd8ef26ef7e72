insert into clv.customer_clv
select * from _staged_customer_clv
