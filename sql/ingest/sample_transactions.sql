-- staging.transactions, or a deterministic 1-in-$every sample of it for the row-level GX suite on large tables.
select *
from staging.transactions
where $every <= 1 or hash(source, source_file, line_number) % $every = 0
