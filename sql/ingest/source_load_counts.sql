select
    count(*) as records_read,
    count(*) filter (where reason is null) as accepted,
    count(*) filter (where reason is not null) as rejected
from _validated
