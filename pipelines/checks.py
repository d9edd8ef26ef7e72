"""Asset checks: Great Expectations suites and SQL invariants, blocking where data feeds models and BI."""

import json
import math

import dagster as dg
import polars as pl

from pipelines import calendar, ingest, profit, quality
from pipelines.assets.ingest import TRANSACTIONS
from pipelines.metadata import markdown_table
from pipelines.resources import SegprofConfig, WarehouseResource
from pipelines.warehouse import query, relation

def suite_check_result(result: quality.SuiteResult, **extra) -> dg.AssetCheckResult:
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

    GX validates pandas, about 40k rows a second here: above quality.MAX_ROWS it validates a sample
    picked by row values less load timestamps (the same data, the same sample) and says so; NOT NULL
    constraints and the SQL checks cover every row.
    """

    @dg.asset_check(asset=asset, name=f"{asset}_expectations", blocking=True,
                    description=f"Great Expectations suite expectations/{asset}.json on {table}.")
    def _check(duckdb: WarehouseResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            rows = query(con, "warehouse/table_row_count", {"table": table})[0]["row_count"]
            every = math.ceil(rows / quality.MAX_ROWS)
            sample = relation(con, "warehouse/sample_table", {"table": table, "every": every})
            return suite_check_result(quality.validate_batches(asset, sample.to_arrow_reader(quality.CHUNK_ROWS)),
                                      validated=f"1 in {every} of {rows:,} rows, picked by their values less load times: "
                                                f"the same rows for the same data" if every > 1 else "all rows")

    return _check


transactions_expectations = expectations_check("transactions", "staging.transactions")


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
                "records_in_files": ingest.count_records(con, config, source),
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

@dg.asset_check(asset=TRANSACTIONS, blocking=True, description="No order id repeats within a source.")
def transactions_order_ids_unique(duckdb: WarehouseResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        repeats = query(con, "ingest/duplicate_order_ids")
    return dg.AssetCheckResult(
        passed=not repeats,
        description=None if not repeats else f"{len(repeats)}+ order ids repeat, e.g. {repeats[0]['order_id']!r}",
        metadata={"examples": dg.MetadataValue.md(markdown_table(pl.DataFrame(repeats)) if repeats else "None.")},
    )

CHECKS = [transactions_expectations, transactions_records_accounted, transactions_order_ids_unique]


@dg.asset_check(asset="clv_model", blocking=True, description="Chosen fits have finite, positive parameters.")
def clv_model_parameters_valid(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        rows = query(con, "clv/chosen_parameters", {"as_of": calendar.read(con, segprof.value).as_of})
    bad = []
    for r in rows:
        if not r["chosen"]:
            continue
        params = json.loads(r["parameters"] or "{}")
        if not params or not all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in params.values()):
            bad.append(f"{r['model']} ({r['stage']}): {params}")
    return dg.AssetCheckResult(
        passed=bool(rows) and not bad,
        description="; ".join(bad) or (None if rows else "no fits recorded for this as-of date"),
        metadata={"fits": dg.MetadataValue.md(markdown_table(pl.DataFrame(rows)) if rows else "None.")},
    )


@dg.asset_check(
    asset="customer_clv",
    blocking=True,
    description="Exactly one CLV row per customer; p_alive in [0, 1]; CLV finite and non-negative.",
)
def customer_clv_valid(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        stats = query(con, "clv/check_customer_clv", {"as_of": calendar.read(con, segprof.value).as_of})[0]
    problems = []
    if stats["rows"] != stats["distinct_customers"]:
        problems.append(f"{stats['rows'] - stats['distinct_customers']:,} duplicate customer rows")
    if stats["missing"]:
        problems.append(f"{stats['missing']:,} customers in clv.customer_rfm have no CLV")
    for key, label in (("p_alive_out_of_range", "p_alive outside [0, 1]"), ("negative_clv", "negative CLV"),
                       ("bad_expected_purchases", "expected purchases not finite or negative")):
        if stats[key]:
            problems.append(f"{stats[key]:,} rows with {label}")
    return dg.AssetCheckResult(passed=not problems, description="; ".join(problems) or None, metadata=stats)


CHECKS += [clv_model_parameters_valid, customer_clv_valid]


def _reconciliation(segprof: SegprofConfig, duckdb: WarehouseResource, expected: str, actual: str, columns: list[str],
                    what: str) -> dg.AssetCheckResult:
    config = segprof.value
    with duckdb.get_connection() as con:
        as_of = calendar.read(con, config).as_of
        mismatches = profit.reconcile(con, config, as_of, expected, actual, columns)
    return dg.AssetCheckResult(
        passed=mismatches.is_empty(),
        description=None if mismatches.is_empty() else (
            f"{mismatches.height} period(s) where {what} differ from {expected.split('/')[-1]}, first {mismatches['period_start'][0]}"),
        metadata={"compared": ", ".join(columns),
                  "mismatches": dg.MetadataValue.md(markdown_table(mismatches) if not mismatches.is_empty() else "None.")},
    )


@dg.asset_check(asset="customer_profit", blocking=True,
                description="Per period, customer P&L sums to the ledger from staging.transactions, to the cent.")
def customer_profit_reconciles_to_ledger(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    return _reconciliation(segprof, duckdb, "profit/ledger", "profit/customer_profit_by_period",
                           ["revenue", "refunds", "net_amount", "sale_lines", "return_lines"], "customer totals")


@dg.asset_check(asset="segment_profitability", blocking=True,
                description="Per period, segment P&L sums to the ledger (revenue) and to the customer P&L (every cost), to the cent.")
def segment_profitability_reconciles_to_ledger(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    ledger = _reconciliation(segprof, duckdb, "profit/ledger", "profit/segment_profitability_by_period", ["revenue"], "segment revenue totals")
    if not ledger.passed:
        return ledger
    return _reconciliation(segprof, duckdb, "profit/customer_profit_by_period", "profit/segment_profitability_by_period",
                           ["revenue", "cogs", "cost_to_serve", "returns_cost", "marketing_cost", "contribution"], "segment totals")


@dg.asset_check(asset="customer_segments", blocking=True, description="Every scored customer is in exactly one segment at every date.")
def customer_segments_one_per_customer(duckdb: WarehouseResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        bad = query(con, "profit/check_customer_segments")
    return dg.AssetCheckResult(
        passed=not bad,
        description=None if not bad else f"{len(bad)} date(s) with customers missing or duplicated, first {bad[0]['as_of_date']}",
    )


@dg.asset_check(asset="segment_migration", blocking=True,
                description="Each from-segment's moves add up to that segment's customers at the from date.")
def segment_migration_rows_add_up(duckdb: WarehouseResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        bad = query(con, "profit/check_segment_migration")
    return dg.AssetCheckResult(
        passed=not bad,
        description=None if not bad else "; ".join(
            f"{r['from_segment']} at {r['from_date']}: {r['moved']} moved vs {r['customers']} customers" for r in bad[:5]),
    )


@dg.asset_check(asset="segment_equity_bridge", blocking=True,
                description="Per segment and period, start equity + acquired - lapsed - migrated out + migrated in + value change "
                            "= end equity = the segment's customer equity, and start equity = the previous period's, to the cent.")
def segment_equity_bridge_reconciles(duckdb: WarehouseResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        bad = query(con, "profit/check_segment_equity_bridge")
    return dg.AssetCheckResult(
        passed=not bad,
        description=None if not bad else f"{len(bad)} bridge(s) do not reconcile, first {bad[0]['segment']} from {bad[0]['period_start']}",
        metadata={"mismatches": dg.MetadataValue.md(markdown_table(pl.DataFrame(bad[:20])) if bad else "None.")},
    )


CHECKS += [expectations_check("customer_clv", "clv.customer_clv"),
           expectations_check("segment_profitability", "profit.segment_profitability")]

CHECKS += [customer_profit_reconciles_to_ledger, segment_profitability_reconciles_to_ledger,
           customer_segments_one_per_customer, segment_migration_rows_add_up, segment_equity_bridge_reconciles]
