"""Great Expectations suites as Dagster asset checks: one helper validates a table against expectations/<asset>.json."""

import math

import dagster as dg
import polars as pl

from pipelines.orchestration.asset_metadata import markdown_table
from pipelines.orchestration.resources import WarehouseResource
from pipelines.warehouse import suites
from pipelines.warehouse.database import query, relation


def suite_check_result(result: suites.SuiteResult, **extra) -> dg.AssetCheckResult:
    """A Dagster check result for a validated GX suite: which expectations failed, on how many rows."""
    failures = result.failures
    return dg.AssetCheckResult(
        passed=result.success,
        description="; ".join(f.describe() for f in failures) or None,
        metadata={
            "suite": f"expectations/{result.suite}.json",
            "rows_validated": result.rows,
            "expectations": len(result.outcomes),
            "failed": len(failures),
            "failures": dg.MetadataValue.md(
                markdown_table(pl.DataFrame([
                    {"column": f.column or "", "expectation": f.expectation, "rows": f.unexpected_count,
                     "examples": ", ".join(map(str, f.examples[:5]))}
                    for f in failures
                ])) if failures else "None."
            ),
            **extra,
        },
    )


def expectations_check(asset: str, table: str) -> dg.AssetChecksDefinition:
    """A blocking check that validates `table` against expectations/<asset>.json.

    GX validates pandas, about 40k rows a second here: above suites.MAX_ROWS it validates a sample
    picked by row values less load timestamps (the same data, the same sample) and says so; NOT NULL
    constraints and the SQL checks cover every row.
    """

    @dg.asset_check(asset=asset, name=f"{asset}_expectations", blocking=True,
                    description=f"Great Expectations suite expectations/{asset}.json on {table}.")
    def _check(duckdb: WarehouseResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            rows = query(con, "warehouse/table_row_count", {"table": table})[0]["row_count"]
            every = math.ceil(rows / suites.MAX_ROWS)
            sample = relation(con, "warehouse/sample_table", {"table": table, "every": every})
            return suite_check_result(suites.validate_batches(asset, sample.to_arrow_reader(suites.CHUNK_ROWS)),
                                      validated=f"1 in {every} of {rows:,} rows, picked by their values less load times: "
                                                f"the same rows for the same data" if every > 1 else "all rows")

    return _check
