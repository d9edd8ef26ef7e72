-- profit.customer_profit: customer x period P&L. Each cost is its own column.
create schema if not exists profit;

create table if not exists profit.customer_profit (
    customer_id           varchar        not null,
    period_start          date           not null,
    period_end            date           not null,
    orders                integer        not null,
    sale_lines            integer        not null,
    return_lines          integer        not null,
    revenue               decimal(18, 2) not null,
    cogs                  decimal(18, 2) not null,
    cost_to_serve         decimal(18, 2) not null,
    refunds               decimal(18, 2) not null,
    return_handling       decimal(18, 2) not null,
    returns_cost          decimal(18, 2) not null,
    marketing_cost        decimal(18, 2) not null,
    contribution          decimal(18, 2) not null,
    overhead_cost         decimal(18, 2) not null,
    profit_after_overhead decimal(18, 2) not null,
    costs_assumed         boolean        not null
);

comment on table profit.customer_profit is 'Per customer and period: revenue and each cost, contribution and profit after overhead. Summed over customers it equals the ledger computed from staging.transactions, to the cent.';
comment on column profit.customer_profit.customer_id is 'Customer identifier.';
comment on column profit.customer_profit.period_start is 'First day of the period (month or quarter, config profit.period).';
comment on column profit.customer_profit.period_end is 'Last day of the period (the as-of date for the current, partial period).';
comment on column profit.customer_profit.orders is 'Orders with at least one sale line in the period.';
comment on column profit.customer_profit.sale_lines is 'Transaction lines with a positive amount.';
comment on column profit.customer_profit.return_lines is 'Transaction lines with a negative amount (returns, refunds).';
comment on column profit.customer_profit.revenue is 'Gross sales: sum of positive amounts.';
comment on column profit.customer_profit.cogs is 'Cost of goods sold on sale lines: unit_cost x quantity, or amount x the category rate (config profit.cogs); rounded to the cent per line. Returned goods are not credited back.';
comment on column profit.customer_profit.cost_to_serve is 'Per-order cost by channel x orders + per-line cost by channel x sale lines (config profit.cost_to_serve).';
comment on column profit.customer_profit.refunds is 'Sum of refunded amounts (negative lines, as a positive number).';
comment on column profit.customer_profit.return_handling is 'Handling cost per return line (config profit.returns.handling_per_return).';
comment on column profit.customer_profit.returns_cost is 'refunds + return_handling.';
comment on column profit.customer_profit.marketing_cost is 'Marketing and retention cost: the per-period rate of the acquisition channel for every customer from first purchase until profit.marketing.active_months after their last purchase, plus the costs file when configured.';
comment on column profit.customer_profit.contribution is 'revenue - cogs - cost_to_serve - returns_cost - marketing_cost.';
comment on column profit.customer_profit.overhead_cost is 'Overhead allocated by the configured key (revenue, orders or customers); cents distributed by largest remainder so the period total is exact.';
comment on column profit.customer_profit.profit_after_overhead is 'contribution - overhead_cost.';
comment on column profit.customer_profit.costs_assumed is 'True when the cost model is a stated assumption (config profit.assumptions), not costs from the data.';
