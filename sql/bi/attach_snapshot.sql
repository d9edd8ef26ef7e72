attach $path as snapshot (storage_version $storage_version)
