-- profit.at_risk_customers: valuable customers slipping away, ranked by CLV at stake.
create schema if not exists profit;

create table if not exists profit.at_risk_customers (
    customer_id        varchar        not null,
    as_of_date         date           not null,
    rank               bigint         not null,
    segment            varchar        not null,
    value_tier         varchar        not null,
    prior_value_tier   varchar,
    p_alive            double         not null,
    prior_p_alive      double,
    p_alive_drop       double,
    last_purchase      date           not null,
    days_since_last_purchase integer  not null,
    typical_days_between_purchases double,
    reason             varchar        not null,
    clv_at_stake       decimal(18, 2) not null,
    prior_clv          decimal(18, 2),
    primary key (customer_id, as_of_date)
);

comment on table profit.at_risk_customers is 'Customers in the top value tiers (config at_risk.tiers, now or at the prior scoring date) whose p_alive fell by more than at_risk.p_alive_drop since the prior scoring date, or who are overdue: longer since their last purchase than at_risk.overdue_factor times their typical gap. Ranked by CLV at stake.';
comment on column profit.at_risk_customers.customer_id is 'Customer identifier.';
comment on column profit.at_risk_customers.as_of_date is 'Scoring date (the as-of date).';
comment on column profit.at_risk_customers.rank is '1 = most CLV at stake.';
comment on column profit.at_risk_customers.segment is 'Segment at as_of_date.';
comment on column profit.at_risk_customers.value_tier is 'Value tier at as_of_date.';
comment on column profit.at_risk_customers.prior_value_tier is 'Value tier at the prior scoring date.';
comment on column profit.at_risk_customers.p_alive is 'Probability alive at as_of_date.';
comment on column profit.at_risk_customers.prior_p_alive is 'Probability alive at the prior scoring date.';
comment on column profit.at_risk_customers.p_alive_drop is 'prior_p_alive - p_alive.';
comment on column profit.at_risk_customers.last_purchase is 'Day of the last purchase.';
comment on column profit.at_risk_customers.days_since_last_purchase is 'Days from last_purchase to as_of_date.';
comment on column profit.at_risk_customers.typical_days_between_purchases is 'Days from first to last purchase / repeat purchase days; null below two repeat purchases.';
comment on column profit.at_risk_customers.reason is 'p_alive drop, overdue, or both.';
comment on column profit.at_risk_customers.clv_at_stake is 'CLV at the prior scoring date or now, whichever is higher: the value to win back.';
comment on column profit.at_risk_customers.prior_clv is 'CLV at the prior scoring date.';
