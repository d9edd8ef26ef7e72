-- staging.customer_attributes: the configured attributes file, keyed by customer_id as text.
create or replace table staging.customer_attributes as
select
    {{ customer_id }}::varchar as customer_id,
    * exclude ({{ customer_id }})
from read_parquet($path)
