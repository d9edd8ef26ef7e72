"""segprof's statistics: pure functions over Polars frames and NumPy arrays (no Dagster, no DuckDB)."""
