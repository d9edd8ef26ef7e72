-- The config file that published a snapshot (any run's: a snapshot belongs to one config).
select any_value(config_file) as config_file from meta.runs
