-- profit.segment_migration: customers moving between segments from one scoring date to the next.
create schema if not exists profit;

create table if not exists profit.segment_migration (
    from_segment       varchar        not null,
    to_segment         varchar        not null,
    start_date         date,
    period_end         date           not null,
    customers          bigint         not null,
    clv_moved          decimal(18, 2) not null,
    contribution_moved decimal(18, 2) not null,
    costs_assumed boolean not null,
    primary key (from_segment, to_segment, period_end)
);

-- Warehouses made before the column existed get it on the next run.
alter table profit.segment_migration add column if not exists costs_assumed boolean;

comment on table profit.segment_migration is 'Customers by segment at one scoring date (from) and the next (to), stayers included. from_segment new: acquired in between; to the lapsed segment: p_alive fell below the threshold. For each from_segment other than new, customers add up to that segment''s customers at start_date.';
comment on column profit.segment_migration.from_segment is 'Segment at start_date, or new for customers acquired after it.';
comment on column profit.segment_migration.to_segment is 'Segment at period_end (the lapsed segment when p_alive is below the threshold).';
comment on column profit.segment_migration.start_date is 'Previous scoring date; null for the first.';
comment on column profit.segment_migration.period_end is 'Scoring date (period end, or the as-of date).';
comment on column profit.segment_migration.customers is 'Customers who made this move.';
comment on column profit.segment_migration.clv_moved is 'Their CLV at period_end.';
comment on column profit.segment_migration.contribution_moved is 'Their contribution in the period ending at period_end.';
comment on column profit.segment_migration.costs_assumed is 'True when the cost model is a stated assumption (config profit.assumptions), not costs from the data.';
