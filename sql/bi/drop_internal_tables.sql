drop table if exists snapshot.staging.customer_attributes
