-- Work table of each segment's customer equity interval at every scoring date (models.clv.intervals), which
-- sql/profit/insert_segment_profitability.sql joins: a table, so that nothing stays registered while it is rebuilt.
create or replace temp table _segment_equity_intervals as
select segment, period_end, equity_low, equity_high from _equity_intervals
