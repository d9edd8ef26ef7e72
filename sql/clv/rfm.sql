-- rfm(dates, days_per_unit, purchase_day, line_days): per-customer RFM at each date of a list, with lifetimes' definitions
-- at day level, from one pass over the customer days. Several orders on one day are one purchase; frequency
-- counts repeat purchase days; recency and t are days / days_per_unit; monetary_value is the mean value of the
-- repeat purchase days (0 without repeats). Which days are purchase days, and what they are worth, is the
-- clv.purchase_day policy (customer_days, defined first; docs/clv.md); sales_value and returned_value sum every line
-- up to the date, purchase day or not, for the expected return rate.

-- _line_days: one row per customer and day with a line, whatever the policy: the day's net, sales and returned
-- amounts and its return lines. A view over staging.transactions; a refit stages its rows up to the refit date once
-- as a table (sql/clv/stage_refit_days.sql) and names it as line_days, so that its statements aggregate the lines once.
create or replace temp view _line_days as
select
    customer_id,
    order_date,
    sum(amount) as net_amount,
    coalesce(sum(amount) filter (where amount >= 0), 0) as sales_amount,
    coalesce(-sum(amount) filter (where amount < 0), 0) as returned_amount,
    count(*) filter (where amount < 0) as return_lines
from staging.transactions
group by customer_id, order_date;

-- customer_days(up_to, purchase_day, line_days): one row per customer and day with a line up to a date, from the
-- table or view named line_days (_line_days unless given); is_purchase says whether a day after the customer's first
-- is a repeat purchase (the first day is always their first purchase).
--   net_positive: a purchase day is one whose lines net to more than zero, or that has no return line (a day of
--     zero-amount lines, e.g. CDNOW's free items, is a purchase as in lifetimes); a return-only day, or one whose
--     returns cancel its sales, is not. A purchase day is worth its sales lines (gross spend); returns are a
--     separate rate.
--   any_line: every day with a line is a purchase day worth its net amount, returns included: exactly
--     lifetimes' summary_data_from_transaction_data.
create or replace temp macro customer_days(up_to, purchase_day, line_days := '_line_days') as table
with days as (
    select * from query_table(line_days) where order_date <= up_to::date
),

final as (
    select
        customer_id,
        order_date,
        sales_amount,
        returned_amount,
        case purchase_day
            when 'net_positive' then net_amount > 0 or return_lines = 0
            when 'any_line' then true
            else error('clv.purchase_day must be net_positive or any_line, not ' || purchase_day)
        end as is_purchase,
        case when purchase_day = 'any_line' then net_amount else sales_amount end as day_amount
    from days
)

select * from final;

create or replace temp macro rfm(dates, days_per_unit, purchase_day := 'net_positive', line_days := '_line_days') as table
with scoring_dates as (
    select unnest(dates::date[]) as period_end
),

days as (
    select * from customer_days((select max(period_end) from scoring_dates), purchase_day, line_days := line_days)
),

-- A customer's first day with a line is their first purchase (acquisition), whatever it nets to, as lifetimes
-- counts it: every customer with a transaction has RFM. The policy decides which later days are repeat purchases.
-- The first day is among a customer's days up to any date they have RFM at, so the group by date and customer finds it.
per_date as (
    select
        scoring_dates.period_end,
        days.customer_id,
        min(days.order_date) as first_purchase,
        arg_min(days.is_purchase, days.order_date) as first_is_purchase,
        arg_min(days.day_amount, days.order_date) as first_day_amount,
        count(*) filter (where days.is_purchase) as purchase_days,
        max(days.order_date) filter (where days.is_purchase) as last_purchase_day,
        sum(days.day_amount) filter (where days.is_purchase) as purchase_amount,
        sum(days.sales_amount) as sales_value,
        sum(days.returned_amount) as returned_value
    from days
    inner join scoring_dates on days.order_date <= scoring_dates.period_end
    group by scoring_dates.period_end, days.customer_id
),

repeats as (
    select
        *,
        purchase_days - first_is_purchase::integer as frequency,
        coalesce(last_purchase_day, first_purchase) as last_purchase,
        purchase_amount - case when first_is_purchase then first_day_amount else 0 end as repeat_amount
    from per_date
),

final as (
    select
        customer_id,
        period_end,
        frequency,
        (last_purchase - first_purchase) / days_per_unit as recency,
        (period_end - first_purchase) / days_per_unit as t,
        case when frequency > 0 then (repeat_amount / frequency)::double else 0 end as monetary_value,
        first_purchase,
        last_purchase,
        sales_value::decimal(18, 2) as sales_value,
        returned_value::decimal(18, 2) as returned_value,
        purchase_day as purchase_day
    from repeats
)

select * from final
