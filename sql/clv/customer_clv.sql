-- clv.customer_clv: customer x as-of date lifetime value from the chosen models.
create schema if not exists clv;

create table if not exists clv.customer_clv (
    customer_id          varchar        not null,
    period_end           date           not null,
    p_alive              double         not null,
    expected_purchases   double         not null,
    expected_order_value decimal(18, 2) not null,
    clv                  decimal(18, 2) not null,
    value_tier           varchar        not null,
    purchase_model       varchar        not null,
    spend_model          varchar        not null,
    horizon_months       integer        not null,
    run_id               varchar        not null,
    fitted_through       date
);

-- Added with point-in-time history: warehouses created before have the table without it (and their scores are
-- computed again, sql/clv/look_ahead_scores.sql).
alter table clv.customer_clv add column if not exists fitted_through date;
-- Warehouses from before the returns policy get its column (README, migration note); their rows hold null.
alter table clv.customer_clv add column if not exists expected_return_rate double;
-- The intervals' columns (README, migration note): a warehouse built before gets them on its next run.
alter table clv.customer_clv add column if not exists clv_low decimal(18, 2);
alter table clv.customer_clv add column if not exists clv_high decimal(18, 2);
alter table clv.customer_clv add column if not exists p_alive_low double;
alter table clv.customer_clv add column if not exists p_alive_high double;
-- CLV in profit terms (README, migration note): the components that explain each row's clv; rows scored before hold null.
alter table clv.customer_clv add column if not exists value_basis varchar;
alter table clv.customer_clv add column if not exists discounted_purchases double;
alter table clv.customer_clv add column if not exists cogs_rate double;
alter table clv.customer_clv add column if not exists returns_cost_rate double;
alter table clv.customer_clv add column if not exists gross_margin_per_order double;
alter table clv.customer_clv add column if not exists cost_to_serve_per_order double;
alter table clv.customer_clv add column if not exists returns_cost_per_order double;
alter table clv.customer_clv add column if not exists marketing_cost_per_month double;
alter table clv.customer_clv add column if not exists marketed_months integer;
alter table clv.customer_clv add column if not exists expected_marketing_cost double;
-- Fits by group (config clv.fit_by): which group's fit scored the row; null: the pooled fit.
alter table clv.customer_clv add column if not exists fit_group varchar;

comment on table clv.customer_clv is 'Per customer and as-of date: probability alive, expected purchases and order value, discounted CLV and value tier.';
comment on column clv.customer_clv.customer_id is 'Customer identifier.';
comment on column clv.customer_clv.period_end is 'Date the customer is scored at.';
comment on column clv.customer_clv.p_alive is 'Probability the customer is still active (has not dropped out) at period_end, given their frequency, recency and age.';
comment on column clv.customer_clv.expected_purchases is 'Expected repeat purchases over the next horizon_months.';
comment on column clv.customer_clv.expected_order_value is 'Gamma-Gamma expected spend per future purchase, gross of returns under purchase_day net_positive (see expected_return_rate); one-time buyers get the population mean; a mean repeat spend at or below zero is taken as zero.';
comment on column clv.customer_clv.clv is 'Discounted expected contribution over horizon_months (docs/clv.md, CLV in profit terms): discounted_purchases x (gross_margin_per_order - cost_to_serve_per_order - returns_cost_per_order) - expected_marketing_cost, rounded to the cent. Under value_basis profit the components come from the P&L''s cost model and may make it negative (marketing a customer who is not expected to buy); under margin_rate it is margin rate x expected order value x (1 - expected_return_rate) x discounted_purchases.';
comment on column clv.customer_clv.value_basis is 'How clv values expected purchases (config clv.value): profit (the P&L''s cost model) or margin_rate (the fallback).';
comment on column clv.customer_clv.discounted_purchases is 'Expected repeat purchases (purchase days) per month over horizon_months, each discounted by (1 + monthly rate)^month, monthly rate (1 + annual rate)^(1/12) - 1: what the per-order economics are multiplied by.';
comment on column clv.customer_clv.cogs_rate is 'Expected cost of goods per unit of gross spend: under profit the customer''s own cost of goods over sales up to period_end (their category mix or unit costs, priced as profit.customer_profit.cogs), shrunk toward the population''s (config clv.cogs_rate_prior_purchases); under margin_rate 1 - margin rate.';
comment on column clv.customer_clv.returns_cost_rate is 'Expected returns cost per unit of gross spend: under profit expected_return_rate x (1 + handling per returned unit of money: profit.returns.handling_per_return x all customers'' return lines / returned value up to period_end), the refund in full as in the P&L; under margin_rate margin rate x expected_return_rate.';
comment on column clv.customer_clv.gross_margin_per_order is 'Expected gross margin per future purchase: expected_order_value (unrounded) x (1 - cogs_rate).';
comment on column clv.customer_clv.cost_to_serve_per_order is 'Expected cost to serve per future purchase (a purchase day): the customer''s per-order and per-line costs (config profit.cost_to_serve, their channels and usual lines) over their days with a sale line up to period_end; the population''s for a customer without one; 0 under margin_rate.';
comment on column clv.customer_clv.returns_cost_per_order is 'Expected returns cost per future purchase: expected_order_value (unrounded) x returns_cost_rate.';
comment on column clv.customer_clv.marketing_cost_per_month is 'Marketing cost per month the customer is marketed: the per-period rate of their acquisition channel (config profit.marketing.per_customer_per_period) / months per period; 0 under margin_rate.';
comment on column clv.customer_clv.marketed_months is 'Months of the horizon, after the month of period_end, that the customer''s purchases up to then already keep them marketed (config profit.marketing.active_months); 0 under margin_rate.';
comment on column clv.customer_clv.expected_marketing_cost is 'Discounted expected marketing cost over horizon_months: marketing_cost_per_month x the sum over months of P(marketed) / (1 + monthly rate)^month, P(marketed) 1 within marketed_months and the probability of a repeat purchase by that month after them; 0 under margin_rate.';
comment on column clv.customer_clv.expected_return_rate is 'Expected share of the customer''s gross spend returned (config clv.return_rate): their own returned / sales value shrunk toward the population''s (customer), or the population''s (population); 0 under purchase_day any_line, where returns are inside the spend already.';
comment on column clv.customer_clv.clv_low is 'Lower end of the CLV interval (config clv.interval_level, default 80 %) from the sampling distribution of the parameters of the refit that scored the row (fitted_through), by config clv.interval_method (docs/clv.md): delta (the default) the CLV less the normal quantile times its delta-method standard error, draws the quantile of the customer''s CLV, net of expected returns, over parameter draws; parameter uncertainty only, not the customer''s own randomness; null when that fit has no standard errors or the formulas cannot value the customer at some parameters used (a draw far from an early fit on little data), and, under config clv.interval_dates latest (the default), at every date but the latest scoring date.';
comment on column clv.customer_clv.clv_high is 'Upper end of the CLV interval, as clv_low.';
comment on column clv.customer_clv.p_alive_low is 'Lower end of the p_alive interval, by the same method as clv_low (delta: on the logit scale, so that it stays within 0 and 1).';
comment on column clv.customer_clv.p_alive_high is 'Upper end of the p_alive interval, as p_alive_low.';
comment on column clv.customer_clv.value_tier is 'CLV pyramid among active customers (config clv.value_tiers, default platinum top 1%, gold next 4%, silver next 15%, bronze the rest); inactive when p_alive is below the configured threshold.';
comment on column clv.customer_clv.purchase_model is 'Purchase model that scored the customer (bgnbd, paretonbd, mbgnbd).';
comment on column clv.customer_clv.spend_model is 'Spend model: gamma_gamma, or empirical_mean when Gamma-Gamma could not be fitted.';
comment on column clv.customer_clv.horizon_months is 'Months the CLV and expected purchases look ahead.';
comment on column clv.customer_clv.run_id is 'Pipeline run that scored the customer (see clv.model_runs).';
comment on column clv.customer_clv.fitted_through is 'The model''s refit date: the purchase and spend models that scored the customer were chosen and fitted on the transactions up to that day only (on or before period_end; clv.model_runs rows with that period_end).';
comment on column clv.customer_clv.fit_group is 'With config clv.fit_by, when fits by group won at the refit: the customer''s group (channel or region of their first transaction line), whose own fits scored them (clv.model_runs rows with that fit_group); null: the pooled fits.';
