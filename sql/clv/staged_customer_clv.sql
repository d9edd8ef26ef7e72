-- Work table for the scores of every date, filled one date at a time outside the transaction that
-- replaces clv.customer_clv: a long transaction would hold every date's intermediate results in memory.
create or replace temp table _staged_customer_clv as
select * from clv.customer_clv limit 0
