-- Each customer's fit group (sql/clv/fit_groups.sql), for scoring them with their group's fits.
select customer_id, fit_group from _fit_groups
