-- Marketing costs per customer from the configured Parquet file, assigned to the period of period_start.
create or replace temp table _marketing_costs as
select
    customer_id::varchar as customer_id,
    date_trunc($period, period_start::date)::date as period_start,
    amount::decimal(18, 2) as amount
from read_parquet($path)
