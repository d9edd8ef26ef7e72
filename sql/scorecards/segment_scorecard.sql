-- scorecards.segment_scorecard: segment x as-of date x KPI, with target and status.
create schema if not exists scorecards;

create table if not exists scorecards.segment_scorecard (
    segment       varchar not null,
    period_end    date    not null,
    period_start  date    not null,
    kpi           varchar not null,
    label         varchar not null,
    unit          varchar not null,
    manager       varchar,
    manager_email varchar,
    value         double,
    target        double,
    better        varchar not null,
    status        varchar,
    prior_value   double,
    change        double,
    definition    varchar not null,
    costs_assumed boolean not null,
    primary key (segment, period_end, kpi)
);

comment on table scorecards.segment_scorecard is 'One row per segment, period end (period_end) and KPI: the figures of the HTML scorecards, with targets from the config and red/amber/green status.';
comment on column scorecards.segment_scorecard.segment is 'Segment name.';
comment on column scorecards.segment_scorecard.period_end is 'Period end (or the as-of date for the current period) the KPI is measured at.';
comment on column scorecards.segment_scorecard.period_start is 'First day of the period the KPI covers.';
comment on column scorecards.segment_scorecard.kpi is 'KPI key (customers, active_customers, revenue, contribution, contribution_per_customer, share_of_contribution, customer_equity, average_clv, retention_rate, repeat_purchase_rate, save_rate, net_migration).';
comment on column scorecards.segment_scorecard.label is 'KPI name as shown on the scorecard.';
comment on column scorecards.segment_scorecard.unit is 'money, count, percent (a share: 0.25 = 25 %) or signed_count.';
comment on column scorecards.segment_scorecard.manager is 'Segment manager (config); null for the lapsed segment.';
comment on column scorecards.segment_scorecard.manager_email is 'Segment manager''s email.';
comment on column scorecards.segment_scorecard.value is 'KPI value; null when undefined (e.g. retention without prior customers).';
comment on column scorecards.segment_scorecard.target is 'Target from the config; null when none is set.';
comment on column scorecards.segment_scorecard.better is 'higher or lower: which direction is good.';
comment on column scorecards.segment_scorecard.status is 'green (target met), amber (short by at most amber_within of the target), red (short by more); null without a target.';
comment on column scorecards.segment_scorecard.prior_value is 'Value at the previous period end.';
comment on column scorecards.segment_scorecard.change is 'value - prior_value.';
comment on column scorecards.segment_scorecard.definition is 'What the KPI means, in plain words.';
comment on column scorecards.segment_scorecard.costs_assumed is 'True when the costs behind money KPIs are stated assumptions.';
