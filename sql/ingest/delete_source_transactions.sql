delete from staging.transactions where source = $source
