-- profit.whale_curve_summary: the headline figures of each whale curve.
create schema if not exists profit;

create table if not exists profit.whale_curve_summary (
    scope                        varchar        not null,
    window_name                  varchar        not null,
    period_start                 date           not null,
    period_end                   date           not null,
    customers                    bigint         not null,
    total_contribution           decimal(18, 2) not null,
    peak_contribution            decimal(18, 2) not null,
    peak_share                   double,
    customers_for_all_profit     bigint,
    share_for_all_profit         double,
    unprofitable_customers       bigint         not null,
    unprofitable_share           double         not null,
    unprofitable_cost            decimal(18, 2) not null,
    costs_assumed boolean not null,
    primary key (scope, window_name, period_start)
);

-- Warehouses made before the column existed get it on the next run.
alter table profit.whale_curve_summary add column if not exists costs_assumed boolean;

comment on table profit.whale_curve_summary is 'Headline figures of each whale curve in profit.whale_curve.';
comment on column profit.whale_curve_summary.scope is 'all, or a segment name.';
comment on column profit.whale_curve_summary.window_name is 'period or trailing_12_months.';
comment on column profit.whale_curve_summary.period_start is 'First day of the window.';
comment on column profit.whale_curve_summary.period_end is 'Last day of the window.';
comment on column profit.whale_curve_summary.customers is 'Customers with a P&L row in the window.';
comment on column profit.whale_curve_summary.total_contribution is 'Their total contribution.';
comment on column profit.whale_curve_summary.peak_contribution is 'Contribution of all profitable customers: the top of the whale curve.';
comment on column profit.whale_curve_summary.peak_share is 'peak_contribution / total_contribution: how much bigger profit would be without the loss-making customers (e.g. 1.5 = 150 %).';
comment on column profit.whale_curve_summary.customers_for_all_profit is 'Fewest top customers whose contribution reaches the total contribution.';
comment on column profit.whale_curve_summary.share_for_all_profit is 'customers_for_all_profit / customers.';
comment on column profit.whale_curve_summary.unprofitable_customers is 'Customers with negative contribution.';
comment on column profit.whale_curve_summary.unprofitable_share is 'unprofitable_customers / customers.';
comment on column profit.whale_curve_summary.unprofitable_cost is 'Their summed (negative) contribution, as a positive number: what they cost.';
comment on column profit.whale_curve_summary.costs_assumed is 'True when the cost model is a stated assumption (config profit.assumptions), not costs from the data.';
