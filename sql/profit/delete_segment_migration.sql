delete from profit.segment_migration
