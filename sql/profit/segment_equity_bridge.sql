-- profit.segment_equity_bridge: why a segment's customer equity moved in a period.
create schema if not exists profit;

create table if not exists profit.segment_equity_bridge (
    segment                 varchar        not null,
    period_start            date           not null,
    period_end              date           not null,
    start_date              date,
    start_customers         bigint         not null,
    start_equity            decimal(18, 2) not null,
    acquired_customers      bigint         not null,
    acquired                decimal(18, 2) not null,
    lapsed_customers        bigint         not null,
    lapsed                  decimal(18, 2) not null,
    migrated_out_customers  bigint         not null,
    migrated_out            decimal(18, 2) not null,
    migrated_in_customers   bigint         not null,
    migrated_in             decimal(18, 2) not null,
    stayers                 bigint         not null,
    value_change            decimal(18, 2) not null,
    end_customers           bigint         not null,
    end_equity              decimal(18, 2) not null,
    primary key (segment, period_start)
);

comment on table profit.segment_equity_bridge is 'Per segment and period, the customer-equity bridge: start_equity + acquired - lapsed - migrated_out + migrated_in + value_change = end_equity, to the cent (a blocking check). Customers leaving are valued at their CLV at the start, customers arriving at their CLV at the end; stayers carry the change of their own CLV.';
comment on column profit.segment_equity_bridge.segment is 'Segment name.';
comment on column profit.segment_equity_bridge.period_start is 'First day of the period.';
comment on column profit.segment_equity_bridge.period_end is 'Last day of the period (the as-of date for the current period).';
comment on column profit.segment_equity_bridge.start_date is 'The previous scoring date, where the period starts from; null for the first period.';
comment on column profit.segment_equity_bridge.start_customers is 'Customers in the segment at start_date.';
comment on column profit.segment_equity_bridge.start_equity is 'Their CLV at start_date: the segment''s customer equity at the previous period end.';
comment on column profit.segment_equity_bridge.acquired_customers is 'Customers in the segment at period_end who had no purchase by start_date (new customers).';
comment on column profit.segment_equity_bridge.acquired is 'Their CLV at period_end.';
comment on column profit.segment_equity_bridge.lapsed_customers is 'Customers in the segment at start_date who are in the lapsed segment at period_end.';
comment on column profit.segment_equity_bridge.lapsed is 'Their CLV at start_date: equity lost to lapsing (subtracted).';
comment on column profit.segment_equity_bridge.migrated_out_customers is 'Customers in the segment at start_date who are in another segment (not the lapsed one) at period_end.';
comment on column profit.segment_equity_bridge.migrated_out is 'Their CLV at start_date (subtracted).';
comment on column profit.segment_equity_bridge.migrated_in_customers is 'Customers in another segment at start_date who are in this one at period_end.';
comment on column profit.segment_equity_bridge.migrated_in is 'Their CLV at period_end (added).';
comment on column profit.segment_equity_bridge.stayers is 'Customers in the segment at both dates.';
comment on column profit.segment_equity_bridge.value_change is 'Sum of the stayers'' CLV at period_end minus at start_date (signed).';
comment on column profit.segment_equity_bridge.end_customers is 'Customers in the segment at period_end.';
comment on column profit.segment_equity_bridge.end_equity is 'Their CLV at period_end: equals profit.segment_profitability.customer_equity.';
