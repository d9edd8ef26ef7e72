-- The first period meta.period_fingerprints holds (the comparison starts there, or earlier).
select min(period_start) as period_start from meta.period_fingerprints
