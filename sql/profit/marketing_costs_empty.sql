-- No marketing costs file: an empty table keeps the P&L statement the same.
create or replace temp table _marketing_costs (customer_id varchar, period_start date, amount decimal(18, 2))
