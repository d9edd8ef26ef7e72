-- staging.customers: one row per customer with an accepted transaction. Rebuilt on every run.
create schema if not exists staging;

create or replace table staging.customers as
with transactions as (
    select * from staging.transactions
),

per_customer as (
    select
        customer_id,
        min(order_date) as first_purchase,
        max(order_date) as last_purchase,
        count(*) as orders,
        count(distinct order_date) as purchase_days,
        sum(amount) as revenue,
        -sum(amount) filter (where amount < 0) as returns_amount,
        arg_min(channel, order_ts) as acquisition_channel,
        mode(region) as main_region
    from transactions
    group by customer_id
),

final as (
    select *
    from per_customer
    left join staging.customer_attributes using (customer_id)
)

select * from final order by customer_id;

-- The grain, enforced (a customer attributes file with a customer twice fails here).
alter table staging.customers add primary key (customer_id);

comment on table staging.customers is 'One row per customer with at least one accepted transaction, with attributes from the customer attributes file when configured.';
comment on column staging.customers.customer_id is 'Customer identifier as in staging.transactions.';
comment on column staging.customers.first_purchase is 'Day of the first accepted transaction.';
comment on column staging.customers.last_purchase is 'Day of the last accepted transaction.';
comment on column staging.customers.orders is 'Accepted transaction lines.';
comment on column staging.customers.purchase_days is 'Distinct days with a transaction (frequency + 1 in RFM terms, over all history).';
comment on column staging.customers.revenue is 'Sum of amounts, net of returns.';
comment on column staging.customers.returns_amount is 'Sum of negative amounts (returns), as a positive number; null when none.';
comment on column staging.customers.acquisition_channel is 'Channel of the first transaction.';
comment on column staging.customers.main_region is 'Most frequent region of the customer''s transactions.';
