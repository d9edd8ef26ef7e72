-- Document a column staging.customers took from the customer attributes file.
comment on column staging.customers.{{ column }} is 'Customer attribute, as in the customer attributes file (config customer_attributes.path).'
