-- Each period's fingerprint of the accepted transactions ($period_starts: every period from the earliest first
-- day, now or at the last publication, to the as-of date, so an emptied period shows too), compared with the
-- fingerprint the last published run recorded. Written to meta.period_fingerprints by the table writer.
create or replace temp table _period_fingerprints as
with transactions as (
    select * from staging.transactions
),

published as (
    select * from meta.period_fingerprints
),

periods as (
    -- the calendar's periods (pipelines/warehouse/calendar.py): first and last days
    select unnest($period_starts::date[]) as period_start, unnest($period_ends::date[]) as period_end
),

days as (
    select
        order_date,
        count(*) as transactions,
        sum(amount) as amount,
        -- a sum of row hashes: independent of row order, and a repeated row still counts
        sum(hash(customer_id, order_id, order_ts, amount, quantity, channel, region, category, unit_cost)::hugeint) as row_hashes
    from transactions
    group by order_date
),

accepted as (
    select
        periods.period_start,
        sum(days.transactions) as transactions,
        sum(days.amount) as amount,
        sum(days.row_hashes) as row_hashes
    from days
    join periods on days.order_date between periods.period_start and periods.period_end
    group by periods.period_start
),

fingerprints as (
    select
        periods.period_start,
        periods.period_end,
        coalesce(accepted.transactions, 0) as transactions,
        coalesce(accepted.amount, 0)::decimal(38, 2) as amount,
        md5(concat_ws(':', coalesce(accepted.transactions, 0), coalesce(accepted.row_hashes, 0), coalesce(accepted.amount, 0))) as fingerprint
    from periods
    left join accepted using (period_start)
),

final as (
    select
        fingerprints.*,
        fingerprints.period_end <= $as_of::date as closed,
        published.published_fingerprint,
        published.published_closed,
        coalesce(
            published.published_closed and fingerprints.fingerprint <> published.published_fingerprint,
            -- a period the last publication had no row for, inside the closed periods it covered
            fingerprints.period_end <= (select max(period_end) from published where published_closed),
            false
        ) as inputs_changed,
        $history_hash::varchar as history_hash,
        published.published_history_hash,
        null::boolean as recompute,  -- set by the history plan (sql/ingest/plan_periods.sql)
        null::boolean as restated,
        null::varchar as restatement_reason,
        $run_id::varchar as run_id,
        $computed_at::timestamp as computed_at
    from fingerprints
    left join published using (period_start)
)

select * from final order by period_start
