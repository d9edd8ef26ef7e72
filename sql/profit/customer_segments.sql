-- profit.customer_segments: the segment of every customer at every scoring date.
create schema if not exists profit;

create table if not exists profit.customer_segments (
    customer_id varchar not null,
    period_end  date    not null,
    segment     varchar not null,
    value_tier  varchar not null,
    region      varchar
);

-- Added when the rules began to read the region known at each date: a warehouse made before gets the column on its
-- next run; its earlier rows hold null (the P&L by region then uses staging.customers.main_region for them).
alter table profit.customer_segments add column if not exists region varchar;

comment on table profit.customer_segments is 'Per customer and scoring date (every period end and the as-of date): exactly one segment, from the ordered rules of config segments; customers below the p_alive threshold are in the lapsed segment.';
comment on column profit.customer_segments.customer_id is 'Customer identifier.';
comment on column profit.customer_segments.period_end is 'Scoring date: a period end, or the as-of date.';
comment on column profit.customer_segments.segment is 'Segment name (config segments, or the lapsed segment).';
comment on column profit.customer_segments.value_tier is 'CLV value tier at period_end, which the rules combine with region, channel, cohort and attributes.';
comment on column profit.customer_segments.region is 'Region at period_end, which the rules read: the region of most of the customer''s transaction lines up to that date (ties: the first by name); null in rows made before it was stored.';
