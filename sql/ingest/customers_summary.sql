select
    (select count(*) from staging.customers) as customers,
    (select count(*) from staging.transactions) as accepted,
    (select count(*) from staging.rejected_transactions) as rejected,
    (select min(order_date) from staging.transactions) as first_date,
    (select max(order_date) from staging.transactions) as last_date
