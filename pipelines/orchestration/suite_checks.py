"""Great Expectations suites as Dagster asset checks: one helper validates a table against expectations/<asset>.json.

A check validates what the run wrote: every row of a table rebuilt whole, the rows of the scoring dates the run
computed in a per-period table (the other dates keep the rows that were checked when they were published), and the
transaction lines no published run has checked.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import dagster as dg
import duckdb
import polars as pl

from pipelines.config import Config
from pipelines.orchestration.asset_metadata import markdown_table
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.warehouse import calendar, history, suites
from pipelines.warehouse.database import create_tables, query, relation, run


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


@dataclass(frozen=True)
class ComputedDates:
    """The scoring dates whose rows this run wrote in a per-period table, and how a check's metadata names them."""

    dates: list[dt.date]
    scoring: list[dt.date]
    labels: list[str]

    @property
    def every(self) -> bool:
        return len(self.dates) == len(self.scoring)

    def describe(self, what: str) -> str:
        """`what` ('all 1,234 rows', '1 in 3 of 1,234 rows ...') qualified by the periods it covers."""
        if self.every:
            return f"every period ({len(self.dates)}): {what}"
        n, kept = len(self.dates), len(self.scoring) - len(self.dates)
        periods = f"the {n} period{'' if n == 1 else 's'} written by this run ({', '.join(self.labels)})" if n else \
            "no period: this run computed none"
        return f"{periods}, {what}; the other {kept} keep the rows checked when they were published"


def computed_dates(con: duckdb.DuckDBPyConnection, config: Config, with_next: bool = False) -> ComputedDates:
    """The scoring dates the run's plan computed (history.dates_to_compute: all of them without a plan), and the date
    after each with `with_next` (the tables comparing a date with the prior one: profit_tables.build_for_dates)."""
    scoring = calendar.read(con, config).scoring_dates
    dates = history.dates_to_compute(con, config)
    dates = history.with_next(dates, scoring) if with_next else dates
    period = config.profit.period
    return ComputedDates(dates, scoring, [calendar.period_label(calendar.period_start(d, period), period) for d in dates])


def _validate(asset: str, con: duckdb.DuckDBPyConnection, table: str, sample: str, params: dict, rows: int,
              table_rows: int, scope=lambda what: what) -> dg.AssetCheckResult:
    """Validate `rows` rows (sql/<sample>.sql bound to params: at most suites.MAX_ROWS of them, picked by their values)
    of `table` (`table_rows` rows, which row-count expectations are judged on); `scope` says what they are."""
    every = math.ceil(rows / suites.MAX_ROWS) or 1
    batches = relation(con, sample, {**params, "table": table, "every": every}).to_arrow_reader(suites.CHUNK_ROWS) if rows else []
    what = (f"1 in {every} of {rows:,} rows, picked by their values less load times: the same rows for the same data"
            if every > 1 else f"all {rows:,} rows")
    return suite_check_result(suites.validate_batches(asset, batches, table_rows), validated=scope(what))


def expectations_check(asset: str, table: str) -> dg.AssetChecksDefinition:
    """A blocking check that validates every row of `table` against expectations/<asset>.json.

    GX validates pandas, about 40k rows a second here: above suites.MAX_ROWS it validates a sample
    picked by row values less load timestamps (the same data, the same sample) and says so; NOT NULL
    constraints and the SQL checks cover every row.
    """

    @dg.asset_check(asset=asset, name=f"{asset}_expectations", blocking=True,
                    description=f"Great Expectations suite expectations/{asset}.json on {table}.")
    def _check(duckdb: WarehouseResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            rows = query(con, "warehouse/table_row_count", {"table": table})[0]["row_count"]
            return _validate(asset, con, table, "warehouse/sample_table", {}, rows, rows)

    return _check


def period_expectations_check(asset: str, table: str) -> dg.AssetChecksDefinition:
    """expectations_check for a per-period table (period_end): the rows of the scoring dates the run computed."""

    @dg.asset_check(asset=asset, name=f"{asset}_expectations", blocking=True,
                    description=f"Great Expectations suite expectations/{asset}.json on the rows of {table} at the "
                                "dates this run computed.")
    def _check(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            computed = computed_dates(con, segprof.value)
            table_rows = query(con, "warehouse/table_row_count", {"table": table})[0]["row_count"]
            params = {"table": table, "dates": computed.dates}
            rows = table_rows if computed.every else query(con, "warehouse/period_row_count", params)[0]["row_count"]
            return _validate(asset, con, table, "warehouse/sample_periods", params, rows, table_rows, computed.describe)

    return _check


def unpublished_transactions(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """_unpublished_transactions, the lines of staging.transactions no published run has checked (this run's load);
    returns their count and the table's."""
    create_tables(con, "ingest/source_files", "meta/runs")
    run(con, "ingest/unpublished_transactions")
    count = query(con, "warehouse/table_row_count", {"table": "_unpublished_transactions"})[0]["row_count"]
    return count, query(con, "warehouse/table_row_count", {"table": "staging.transactions"})[0]["row_count"]


def unpublished_scope(rows: int, table_rows: int):
    """How a check on _unpublished_transactions says what it covered."""
    if rows == table_rows:
        return lambda what: f"every line: {what}"
    return lambda what: (f"the lines no published run has checked (this run's load): {what}; the other {table_rows - rows:,} "
                         "lines were checked when they were published and are unchanged")


def transactions_expectations_check(asset: str) -> dg.AssetChecksDefinition:
    """expectations_check for staging.transactions: the lines no published run has checked (this run's load)."""

    @dg.asset_check(asset=asset, name=f"{asset}_expectations", blocking=True,
                    description=f"Great Expectations suite expectations/{asset}.json on the lines of staging.transactions "
                                "this run loaded.")
    def _check(duckdb: WarehouseResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            rows, table_rows = unpublished_transactions(con)
            table = "staging.transactions" if rows == table_rows else "_unpublished_transactions"
            return _validate(asset, con, table, "warehouse/sample_table", {}, rows, table_rows, unpublished_scope(rows, table_rows))

    return _check
