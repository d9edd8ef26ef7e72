-- clv.customer_rfm: customer x as-of date RFM statistics, the input of the CLV models.
create schema if not exists clv;

create table if not exists clv.customer_rfm (
    customer_id     varchar not null,
    as_of_date      date    not null,
    frequency       integer not null,
    recency         double  not null,
    t               double  not null,
    monetary_value  double  not null,
    first_purchase  date    not null,
    last_purchase   date    not null,
    time_unit       varchar not null
);

comment on table clv.customer_rfm is 'Per customer and as-of date: frequency, recency, age and mean repeat spend, as lifetimes.utils.summary_data_from_transaction_data(freq=''D'') defines them, in the configured time unit.';
comment on column clv.customer_rfm.customer_id is 'Customer identifier.';
comment on column clv.customer_rfm.as_of_date is 'Date the statistics are computed at; transactions after it are ignored.';
comment on column clv.customer_rfm.frequency is 'Repeat purchase days: days with a purchase after the first purchase day (several orders on one day are one purchase).';
comment on column clv.customer_rfm.recency is 'Time from the first to the last purchase day, in time_unit (days / 7 for weeks, days / 30.4375 for months).';
comment on column clv.customer_rfm.t is 'Age: time from the first purchase day to as_of_date, in time_unit.';
comment on column clv.customer_rfm.monetary_value is 'Mean value of the repeat purchase days (first day excluded), returns netted within a day; 0 when frequency is 0. A statistic, stored as DOUBLE.';
comment on column clv.customer_rfm.first_purchase is 'First purchase day.';
comment on column clv.customer_rfm.last_purchase is 'Last purchase day up to as_of_date.';
comment on column clv.customer_rfm.time_unit is 'Unit of recency and t: days, weeks or months.';
