"""The short report `segprof run` ends with."""

from __future__ import annotations

import dagster as dg

from pipelines.warehouse import query


def run_summary(defs: dg.Definitions, seconds: float) -> list[str]:
    duckdb = defs.resources["duckdb"]
    with duckdb.get_connection() as con:
        counts = query(con, "ingest/customers_summary")[0]
    read = counts["accepted"] + counts["rejected"]
    rows = [
        ("records read", f"{read:,}"),
        ("accepted", f"{counts['accepted']:,}"),
        ("rejected", f"{counts['rejected']:,}" + ("  (see staging.rejected_transactions)" if counts["rejected"] else "")),
        ("customers", f"{counts['customers']:,}"),
        ("transactions from", f"{counts['first_date']} to {counts['last_date']}"),
        ("seconds", f"{seconds:.1f}"),
        ("warehouse", duckdb.database),
    ]
    width = max(len(k) for k, _ in rows)
    return [f"{k:<{width}}  {v}" for k, v in rows]
