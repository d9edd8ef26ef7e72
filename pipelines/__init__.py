"""segprof's Dagster code location, its warehouse I/O and the `segprof` CLI."""
