-- Before the shards' rows are gathered: every accepted transaction goes (the shards hold every source).
delete from staging.transactions
