-- profit.at_risk_customers: each segment's action list at every scoring date, ranked by expected loss.
create schema if not exists profit;

create table if not exists profit.at_risk_customers (
    customer_id        varchar        not null,
    period_end         date           not null,
    rank               bigint         not null,
    segment            varchar        not null,
    current_segment    varchar,
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
    expected_loss      decimal(18, 2),
    suggested_action   varchar
    -- one row per (customer_id, period_end), checked by the asset check at_risk_customers_one_row_per_customer: a
    -- declared key would be an index the warehouse holds in memory to write, too large at tens of millions of customers
);

-- Warehouses made before the action lists get the new columns on the next run.
alter table profit.at_risk_customers add column if not exists current_segment varchar;
alter table profit.at_risk_customers add column if not exists expected_loss decimal(18, 2);
alter table profit.at_risk_customers add column if not exists suggested_action varchar;

comment on table profit.at_risk_customers is 'Action lists: per segment and scoring date (every period end, kept for each), the customers in the segment''s watched value tiers (config at_risk.watch, else at_risk.tiers; now or at the prior scoring date) whose p_alive fell by more than at_risk.p_alive_drop, or who are overdue (silent longer than at_risk.overdue_factor times their own usual gap), never one who bought within at_risk.recent_days. Ranked within the segment by expected loss, with the suggested action of the first matching rule of at_risk.actions.';
comment on column profit.at_risk_customers.customer_id is 'Customer identifier.';
comment on column profit.at_risk_customers.period_end is 'Scoring date (a period end or the as-of date) the list is drawn up at.';
comment on column profit.at_risk_customers.rank is 'Rank within the segment''s list at period_end: 1 = the largest expected loss.';
comment on column profit.at_risk_customers.segment is 'Segment whose list it is: the segment at period_end, or the segment the customer left for the lapsed segment since the prior scoring date.';
comment on column profit.at_risk_customers.current_segment is 'Segment at period_end (the lapsed segment for a customer who lapsed in the period).';
comment on column profit.at_risk_customers.value_tier is 'Value tier at period_end.';
comment on column profit.at_risk_customers.prior_value_tier is 'Value tier at the prior scoring date.';
comment on column profit.at_risk_customers.p_alive is 'Probability alive at period_end.';
comment on column profit.at_risk_customers.prior_p_alive is 'Probability alive at the prior scoring date.';
comment on column profit.at_risk_customers.p_alive_drop is 'prior_p_alive - p_alive.';
comment on column profit.at_risk_customers.last_purchase is 'Day of the last purchase.';
comment on column profit.at_risk_customers.days_since_last_purchase is 'Days from last_purchase to period_end; always more than at_risk.recent_days.';
comment on column profit.at_risk_customers.typical_days_between_purchases is 'The customer''s usual gap: days from first to last purchase day / repeat purchase days; null below two repeat purchase days.';
comment on column profit.at_risk_customers.reason is 'p_alive drop, overdue, or p_alive drop and overdue.';
comment on column profit.at_risk_customers.clv_at_stake is 'CLV at the prior scoring date or now, whichever is higher: the value to win back.';
comment on column profit.at_risk_customers.prior_clv is 'CLV at the prior scoring date.';
comment on column profit.at_risk_customers.expected_loss is 'clv_at_stake x (1 - p_alive): the value expected to be lost if nothing is done; the list''s order.';
comment on column profit.at_risk_customers.suggested_action is 'The action of the first rule of at_risk.actions that matches (segment, prior value tier, reason, expected loss); no action when none does.';
