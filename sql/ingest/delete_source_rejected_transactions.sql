delete from staging.rejected_transactions where source = $source
