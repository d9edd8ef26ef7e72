-- profit.segment_contribution_bridge: why a segment's contribution moved against an earlier period.
create schema if not exists profit;

create table if not exists profit.segment_contribution_bridge (
    segment                      varchar        not null,
    period_start                 date           not null,
    period_end                   date           not null,
    basis                        varchar        not null,
    base_period_start            date           not null,
    base_active_customers        bigint         not null,
    base_revenue                 decimal(18, 2) not null,
    base_gross_margin            decimal(18, 2) not null,
    base_contribution            decimal(18, 2) not null,
    customer_count_effect        decimal(18, 2) not null,
    revenue_per_customer_effect  decimal(18, 2) not null,
    margin_effect                decimal(18, 2) not null,
    cost_to_serve_effect         decimal(18, 2) not null,
    returns_effect               decimal(18, 2) not null,
    marketing_effect             decimal(18, 2) not null,
    active_customers             bigint         not null,
    revenue                      decimal(18, 2) not null,
    gross_margin                 decimal(18, 2) not null,
    contribution                 decimal(18, 2) not null,
    costs_assumed                boolean        not null,
    primary key (segment, period_start, basis)
);

comment on table profit.segment_contribution_bridge is 'Per segment, period and basis (the prior period, or the same period a year earlier), the contribution bridge: base_contribution + customer_count_effect + revenue_per_customer_effect + margin_effect + cost_to_serve_effect + returns_effect + marketing_effect = contribution, to the cent (a blocking check). Gross margin (revenue - cogs) = active customers x revenue per active customer x margin rate, changed one factor at a time in that order; each cost''s effect is minus its change.';
comment on column profit.segment_contribution_bridge.segment is 'Segment name.';
comment on column profit.segment_contribution_bridge.period_start is 'First day of the period explained.';
comment on column profit.segment_contribution_bridge.period_end is 'Last day of the period (the as-of date for the current period).';
comment on column profit.segment_contribution_bridge.basis is 'prior_period (the period before) or year_ago (the same period a year earlier; only where the data reaches back that far).';
comment on column profit.segment_contribution_bridge.base_period_start is 'First day of the period compared with.';
comment on column profit.segment_contribution_bridge.base_active_customers is 'The segment''s active customers in the base period (profit.segment_profitability).';
comment on column profit.segment_contribution_bridge.base_revenue is 'The segment''s revenue in the base period.';
comment on column profit.segment_contribution_bridge.base_gross_margin is 'The segment''s revenue - cogs in the base period.';
comment on column profit.segment_contribution_bridge.base_contribution is 'The segment''s contribution in the base period: where the bridge starts.';
comment on column profit.segment_contribution_bridge.customer_count_effect is 'Change in active customers x the base period''s gross margin per active customer (all of the gross margin change when the base period had no active customer).';
comment on column profit.segment_contribution_bridge.revenue_per_customer_effect is 'Change in revenue per active customer x this period''s active customers x the base period''s margin rate (gross margin / revenue); rounded to the cent.';
comment on column profit.segment_contribution_bridge.margin_effect is 'Change in the margin rate x this period''s revenue: the rest of the gross margin change, so that it absorbs the rounding of the two effects before it.';
comment on column profit.segment_contribution_bridge.cost_to_serve_effect is 'Minus the change in cost to serve.';
comment on column profit.segment_contribution_bridge.returns_effect is 'Minus the change in returns cost (refunds plus handling).';
comment on column profit.segment_contribution_bridge.marketing_effect is 'Minus the change in marketing cost.';
comment on column profit.segment_contribution_bridge.active_customers is 'The segment''s active customers in the period.';
comment on column profit.segment_contribution_bridge.revenue is 'The segment''s revenue in the period.';
comment on column profit.segment_contribution_bridge.gross_margin is 'The segment''s revenue - cogs in the period.';
comment on column profit.segment_contribution_bridge.contribution is 'The segment''s contribution in the period: where the bridge ends; equals profit.segment_profitability.contribution.';
comment on column profit.segment_contribution_bridge.costs_assumed is 'True when the cost model is a stated assumption (config profit.assumptions), not costs from the data.';
