-- profit.segment_profitability: segment x period P&L and customer KPIs.
create schema if not exists profit;

create table if not exists profit.segment_profitability (
    segment                   varchar        not null,
    period_start              date           not null,
    period_end                date           not null,
    customers                 bigint         not null,
    active_customers          bigint         not null,
    new_customers             bigint         not null,
    prior_customers           bigint         not null,
    lost_customers            bigint         not null,
    retained_customers        bigint         not null,
    repeat_customers          bigint         not null,
    retention_rate            double,
    repeat_purchase_rate      double,
    revenue                   decimal(18, 2) not null,
    cogs                      decimal(18, 2) not null,
    cost_to_serve             decimal(18, 2) not null,
    refunds                   decimal(18, 2),
    returns_cost              decimal(18, 2) not null,
    returns_rate              double,
    marketing_cost            decimal(18, 2) not null,
    contribution              decimal(18, 2) not null,
    overhead_cost             decimal(18, 2) not null,
    profit_after_overhead     decimal(18, 2) not null,
    contribution_per_customer decimal(18, 2),
    share_of_contribution     double,
    customer_equity           decimal(18, 2) not null,
    customer_equity_low       decimal(18, 2),
    customer_equity_high      decimal(18, 2),
    average_clv               decimal(18, 2),
    costs_assumed             boolean        not null,
    primary key (segment, period_start)
);

-- Columns added since the first release: a warehouse built before gets them on its next run.
alter table profit.segment_profitability add column if not exists retained_customers bigint;
alter table profit.segment_profitability add column if not exists repeat_customers bigint;
alter table profit.segment_profitability add column if not exists repeat_purchase_rate double;
alter table profit.segment_profitability add column if not exists customer_equity_low decimal(18, 2);
alter table profit.segment_profitability add column if not exists customer_equity_high decimal(18, 2);
alter table profit.segment_profitability add column if not exists refunds decimal(18, 2);
alter table profit.segment_profitability add column if not exists returns_rate double;

comment on table profit.segment_profitability is 'Per segment and period: customers, activity, P&L and customer equity. Customers count in the segment they are in at the period end; summed over segments the P&L equals the ledger.';
comment on column profit.segment_profitability.segment is 'Segment name.';
comment on column profit.segment_profitability.period_start is 'First day of the period.';
comment on column profit.segment_profitability.period_end is 'Last day of the period (the as-of date for the current period); segment membership is taken at this date.';
comment on column profit.segment_profitability.customers is 'Customers in the segment at period_end.';
comment on column profit.segment_profitability.active_customers is 'Of those, customers with at least one order in the period.';
comment on column profit.segment_profitability.new_customers is 'Of those, customers whose first purchase was in the period.';
comment on column profit.segment_profitability.prior_customers is 'Customers in the segment at the previous period end.';
comment on column profit.segment_profitability.lost_customers is 'Of prior_customers, those now in the lapsed segment (p_alive below the threshold).';
comment on column profit.segment_profitability.retained_customers is 'Of prior_customers, those still in this segment at period_end (not lapsed, not moved to another segment).';
comment on column profit.segment_profitability.repeat_customers is 'Of prior_customers, those who ordered in the period, whatever their segment now.';
comment on column profit.segment_profitability.retention_rate is 'retained_customers / prior_customers: the share of the segment''s customers at the start of the period still in it at the end; null without prior customers and for the lapsed segment.';
comment on column profit.segment_profitability.repeat_purchase_rate is 'repeat_customers / prior_customers: the share of the segment''s customers at the start of the period who bought again in it; null without prior customers and for the lapsed segment.';
comment on column profit.segment_profitability.revenue is 'Gross sales of the segment''s customers in the period.';
comment on column profit.segment_profitability.cogs is 'Cost of goods sold (see profit.customer_profit).';
comment on column profit.segment_profitability.cost_to_serve is 'Cost to serve (see profit.customer_profit).';
comment on column profit.segment_profitability.refunds is 'Refunded amounts (returns) of the segment''s customers in the period.';
comment on column profit.segment_profitability.returns_cost is 'Refunds plus return handling.';
comment on column profit.segment_profitability.returns_rate is 'refunds / revenue: the share of the period''s gross sales refunded, realised (clv.customer_clv.expected_return_rate is the share expected of future spend); null without revenue.';
comment on column profit.segment_profitability.marketing_cost is 'Marketing and retention cost.';
comment on column profit.segment_profitability.contribution is 'revenue - cogs - cost_to_serve - returns_cost - marketing_cost.';
comment on column profit.segment_profitability.overhead_cost is 'Allocated overhead.';
comment on column profit.segment_profitability.profit_after_overhead is 'contribution - overhead_cost.';
comment on column profit.segment_profitability.contribution_per_customer is 'contribution / customers.';
comment on column profit.segment_profitability.share_of_contribution is 'contribution / total contribution of all segments in the period.';
comment on column profit.segment_profitability.customer_equity is 'Sum of the customers'' CLV at period_end.';
comment on column profit.segment_profitability.customer_equity_low is 'Lower end of the customer equity interval (config clv.interval_level, default 80 %): from the sampling distribution of the parameters of the refit that scored period_end, by config clv.interval_method (docs/clv.md): delta (the default) the segment''s CLV less the normal quantile times its delta-method standard error, the gradient of the sum being the sum of its customers'', draws the quantile over parameter draws of the segment''s CLV summed per draw; parameter uncertainty only; null when the fit has no standard errors, and where the customers have no intervals (under config clv.interval_dates latest, the default, every period but the latest).';
comment on column profit.segment_profitability.customer_equity_high is 'Upper end of the customer equity interval, as customer_equity_low.';
comment on column profit.segment_profitability.average_clv is 'customer_equity / customers.';
comment on column profit.segment_profitability.costs_assumed is 'True when the costs are stated assumptions (config profit.assumptions).';
