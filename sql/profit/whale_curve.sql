-- profit.whale_curve: cumulative contribution of customers ranked from most to least profitable.
create schema if not exists profit;

create table if not exists profit.whale_curve (
    scope                   varchar        not null,
    window_name             varchar        not null,
    period_start            date           not null,
    period_end              date           not null,
    customer_share          double         not null,
    customers               bigint         not null,
    cumulative_contribution decimal(18, 2) not null,
    cumulative_share        double,
    costs_assumed boolean not null,
    primary key (scope, window_name, period_start, customer_share)
);

-- Warehouses made before the column existed get it on the next run.
alter table profit.whale_curve add column if not exists costs_assumed boolean;

comment on table profit.whale_curve is 'Whale curve points: customers ranked by contribution, most profitable first, at every percent of customers (0 to 1), per period and for the trailing twelve months, for all customers and for each segment.';
comment on column profit.whale_curve.scope is 'all, or a segment name.';
comment on column profit.whale_curve.window_name is 'period (one month or quarter) or trailing_12_months (the twelve months to the as-of date).';
comment on column profit.whale_curve.period_start is 'First day of the window.';
comment on column profit.whale_curve.period_end is 'Last day of the window.';
comment on column profit.whale_curve.customer_share is 'Share of the scope''s customers, most profitable first (0.00 to 1.00 in steps of 0.01).';
comment on column profit.whale_curve.customers is 'Number of customers that share is.';
comment on column profit.whale_curve.cumulative_contribution is 'Contribution of those customers.';
comment on column profit.whale_curve.cumulative_share is 'cumulative_contribution / the scope''s total contribution (above 1 before unprofitable customers pull it back).';
comment on column profit.whale_curve.costs_assumed is 'True when the cost model is a stated assumption (config profit.assumptions), not costs from the data.';
