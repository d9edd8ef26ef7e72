-- The join map of the published tables (meta.relationships), as listed.
select from_table, from_columns, to_table, to_columns, cardinality, note, to_filter
from meta.relationships
