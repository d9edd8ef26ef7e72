"""Ingest checks: the transactions suite, every record accounted for, no repeated order ids.

The suite and the order ids check the lines no published run has checked (this run's load): a published run checked
its lines, which stay as they were until a load replaces them."""

import dagster as dg
import polars as pl

from pipelines.orchestration.asset_metadata import markdown_table
from pipelines.orchestration.ingest_assets import TRANSACTIONS
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.orchestration.suite_checks import transactions_expectations_check, unpublished_scope, unpublished_transactions
from pipelines.warehouse import loading
from pipelines.warehouse.database import query

transactions_expectations = transactions_expectations_check("transactions")


@dg.asset_check(
    asset=TRANSACTIONS,
    blocking=True,
    description="Every record read from each source is either accepted or rejected: none is dropped.",
)
def transactions_records_accounted(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    config = segprof.value
    with duckdb.get_connection() as con:
        loaded = {r["source"]: r for r in query(con, "ingest/source_record_counts")}
        rows = []
        for source in config.sources:
            got = loaded.get(source.name, {"accepted": 0, "rejected": 0})
            rows.append({
                "source": source.name,
                "records_in_files": loading.count_records(con, config, source),
                "accepted": got["accepted"],
                "rejected": got["rejected"],
            })
    table = pl.DataFrame(rows).with_columns(unaccounted=pl.col("records_in_files") - pl.col("accepted") - pl.col("rejected"))
    bad = table.filter(pl.col("unaccounted") != 0)
    return dg.AssetCheckResult(
        passed=bad.is_empty(),
        description=None if bad.is_empty() else "; ".join(
            f"source {r['source']}: {r['records_in_files']:,} records in files but "
            f"{r['accepted']:,} accepted + {r['rejected']:,} rejected" for r in bad.iter_rows(named=True)
        ),
        metadata={"records": dg.MetadataValue.md(markdown_table(table))},
    )

@dg.asset_check(asset=TRANSACTIONS, blocking=True,
                description="No order id repeats within a source: the order ids of the lines this run loaded, against every line.")
def transactions_order_ids_unique(duckdb: WarehouseResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        rows, table_rows = unpublished_transactions(con)
        repeats = query(con, "ingest/duplicate_order_ids") if rows else []  # no new line, no new repeat
    return dg.AssetCheckResult(
        passed=not repeats,
        description=None if not repeats else f"{len(repeats)}+ order ids repeat, e.g. {repeats[0]['order_id']!r}",
        metadata={"examples": dg.MetadataValue.md(markdown_table(pl.DataFrame(repeats)) if repeats else "None."),
                  "validated": unpublished_scope(rows, table_rows)(f"the order ids of {rows:,} lines, against every line")},
    )


CHECKS = [transactions_expectations, transactions_records_accounted, transactions_order_ids_unique]
