-- Before the shards' rows are gathered: every quarantined record goes.
delete from staging.rejected_transactions
