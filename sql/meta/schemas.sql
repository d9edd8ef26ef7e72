-- meta.schemas: what each published schema holds. DuckDB has no COMMENT ON SCHEMA, so the
-- schema documentation is a table BI users can query beside the table and column comments.
create schema if not exists meta;

create or replace table meta.schemas as
select * from (values
    ('staging', 'Accepted transaction lines, the quarantine of rejected input records, and one row per customer.'),
    ('clv', 'Customer lifetime value: RFM statistics, every model fit, and each customer''s CLV per as-of date.'),
    ('profit', 'Profitability: customer and segment P&L per period, segment membership and migration, whale curves, customers at risk.'),
    ('scorecards', 'The segment managers'' scorecards: one row per segment, period end and KPI, with target and status.'),
    ('bi', 'Views for BI tools: one wide row per customer (customer_360) and per segment and period end (segment_kpis).'),
    ('meta', 'About the snapshot: the runs that published it, the source files loaded, the periods whose inputs changed, its schemas, and how its tables join.')
) as schemas(schema_name, description);

comment on table meta.schemas is 'One row per published schema with what it holds (DuckDB keeps no comments on schemas).';
comment on column meta.schemas.schema_name is 'Schema name.';
comment on column meta.schemas.description is 'What the schema holds.';
