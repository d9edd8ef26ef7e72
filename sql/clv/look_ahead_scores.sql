-- Scores from versions that scored every period end with the fit at the latest date (no fitted_through): a warehouse
-- holding any is recomputed from the first period.
select count(*) as rows from clv.customer_clv where fitted_through is null
