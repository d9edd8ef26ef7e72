-- Each customer's region at each of $dates as known then, for the segment rules (sql/profit/customer_dimensions.sql):
-- the region of most of their lines up to the date (ties: the first by name). A customer whose lines up to the last
-- date all have one region has it at every date (period_end null); only the others are counted up to each date.
create or replace temp table _main_regions as
with dates as (
    select unnest($dates::date[]) as period_end
),

region_days as (
    select customer_id, order_date::date as day, region, count(*) as lines
    from staging.transactions
    where order_date::date <= (select max(period_end) from dates)
    group by all
),

regions as (
    select customer_id, count(distinct region) as regions, any_value(region) as region
    from region_days
    group by all
),

several as (
    select customer_id, period_end, first(region order by lines desc, region) as region
    from (
        select region_days.customer_id, dates.period_end, region_days.region, sum(region_days.lines) as lines
        from region_days
        inner join regions on regions.customer_id = region_days.customer_id and regions.regions > 1
        inner join dates on region_days.day <= dates.period_end
        group by all
    )
    group by all
)

select customer_id, null::date as period_end, region from regions where regions = 1
union all
select customer_id, period_end, region from several
