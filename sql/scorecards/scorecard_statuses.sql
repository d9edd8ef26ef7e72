-- The managed segments' KPI tiles at the latest period end ($managed: the segments with a page), counted by status:
-- green, amber, red, or 'none' without a target. The scorecard asset's metadata, read from the table the pages show.
select coalesce(status, 'none') as status, count(*) as tiles
from scorecards.segment_scorecard
where period_end = (select max(period_end) from scorecards.segment_scorecard)
    and segment in (select unnest($managed::varchar[]))
group by all
order by status
