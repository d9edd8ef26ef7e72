-- Reject every occurrence of a repeated order id but the first, saying where the first is
-- (sql/ingest/repeated_order_ids.sql found them).
update _validated as v
set reason = 'order_id ''' || shown(v.order_id) || ''' repeats line ' || r.first_line || ' of ' || r.first_file
from _repeated_order_ids as r
where v.order_id = r.order_id
    and v.reason is null
    and (v.source_file <> r.first_file or v.line_number <> r.first_line)
