-- No attributes file configured: an empty attributes table keeps staging.customers' shape stable.
create or replace table staging.customer_attributes (customer_id varchar)
