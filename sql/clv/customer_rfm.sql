-- clv.customer_rfm: customer x as-of date RFM statistics, the input of the CLV models.
create schema if not exists clv;

create table if not exists clv.customer_rfm (
    customer_id     varchar not null,
    period_end      date    not null,
    frequency       integer not null,
    recency         double  not null,
    t               double  not null,
    monetary_value  double  not null,
    first_purchase  date    not null,
    last_purchase   date    not null,
    time_unit       varchar not null
);

-- Warehouses from before the returns policy get its columns (README, migration note); their rows hold null.
alter table clv.customer_rfm add column if not exists sales_value decimal(18, 2);
alter table clv.customer_rfm add column if not exists returned_value decimal(18, 2);
alter table clv.customer_rfm add column if not exists purchase_day varchar;

comment on table clv.customer_rfm is 'Per customer and as-of date: frequency, recency, age and mean repeat spend, as lifetimes.utils.summary_data_from_transaction_data(freq=''D'') defines them (equal to it without returns; see purchase_day), in the configured time unit, and the sales and returns behind the expected return rate.';
comment on column clv.customer_rfm.customer_id is 'Customer identifier.';
comment on column clv.customer_rfm.period_end is 'Date the statistics are computed at; transactions after it are ignored.';
comment on column clv.customer_rfm.frequency is 'Repeat purchase days: purchase days after the first one (several orders on one day are one purchase). Under purchase_day net_positive a day whose lines net to zero or less and that has a return line (e.g. a return-only day) is no repeat purchase.';
comment on column clv.customer_rfm.recency is 'Time from the first to the last purchase day, in time_unit (days / 7 for weeks, days / 30.4375 for months).';
comment on column clv.customer_rfm.t is 'Age: time from the first purchase day to period_end, in time_unit.';
comment on column clv.customer_rfm.monetary_value is 'Mean value of the repeat purchase days (first day excluded); 0 when frequency is 0. net_positive: a day''s sales lines (gross spend, returns are in returned_value); any_line: its net amount, returns included, as lifetimes. A statistic, stored as DOUBLE.';
comment on column clv.customer_rfm.first_purchase is 'First purchase day: the first day with a line, whatever it nets to (as lifetimes).';
comment on column clv.customer_rfm.last_purchase is 'Last purchase day up to period_end (the first purchase day when no later day is a purchase under purchase_day).';
comment on column clv.customer_rfm.time_unit is 'Unit of recency and t: days, weeks or months.';
comment on column clv.customer_rfm.sales_value is 'Sum of the customer''s sales lines (amount >= 0) up to period_end, on any day: the base of the return rate.';
comment on column clv.customer_rfm.returned_value is 'Sum of the customer''s returns (minus the lines with amount < 0) up to period_end, on any day: returned_value / sales_value is their own return rate.';
comment on column clv.customer_rfm.purchase_day is 'Purchase-day policy of the row (config clv.purchase_day): net_positive (a day counts when its lines net above zero or it has no return line; worth its sales lines) or any_line (every day with a line, worth its net amount, as lifetimes).';
