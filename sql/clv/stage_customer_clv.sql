-- One scoring date's scores into the work table (sql/clv/staged_customer_clv.sql).
insert into _staged_customer_clv by name
select
    customer_id,
    period_end,
    p_alive,
    expected_purchases,
    expected_order_value::decimal(18, 2) as expected_order_value,
    clv::decimal(18, 2) as clv,
    expected_return_rate,
    clv_low::decimal(18, 2) as clv_low,
    clv_high::decimal(18, 2) as clv_high,
    p_alive_low,
    p_alive_high,
    value_tier,
    $purchase_model as purchase_model,
    $spend_model as spend_model,
    $horizon_months as horizon_months,
    $run_id as run_id,
    $fitted_through::date as fitted_through
from _customer_clv
