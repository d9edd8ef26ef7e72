"""Profitability checks: P&L reconciles to the ledger to the cent; one segment per customer; migration adds up;
the equity and contribution bridges reconcile and the P&L by dimension adds up, to the cent; one action-list row per
customer and date.

Segments, migration, the equity bridge, the P&L by dimension and the action lists are checked at the scoring dates the
run wrote (the other dates keep the rows checked when they were published); the segment P&L (small) and the
contribution bridge (rebuilt whole every run) are checked whole."""

import dagster as dg
import polars as pl

from pipelines.orchestration.asset_metadata import markdown_table
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.orchestration.suite_checks import computed_dates, expectations_check
from pipelines.warehouse import calendar, profit_tables
from pipelines.warehouse.database import query


def _reconciliation(segprof: SegprofConfig, duckdb: WarehouseResource, expected: str, actual: str, columns: list[str],
                    what: str, segmented: bool = False) -> dg.AssetCheckResult:
    """`segmented`: only the periods with segments (a date no model could score has none)."""
    config = segprof.value
    with duckdb.get_connection() as con:
        as_of = calendar.read(con, config).as_of
        mismatches = profit_tables.reconcile(con, config, as_of, expected, actual, columns)
        if segmented:
            periods = [r["period_start"] for r in query(con, "profit/segmented_periods")]
            mismatches = mismatches.filter(pl.col("period_start").is_in(periods))
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
    ledger = _reconciliation(segprof, duckdb, "profit/ledger", "profit/segment_profitability_by_period", ["revenue"], "segment revenue totals",
                            segmented=True)
    if not ledger.passed:
        return ledger
    return _reconciliation(segprof, duckdb, "profit/customer_profit_by_period", "profit/segment_profitability_by_period",
                           ["revenue", "cogs", "cost_to_serve", "returns_cost", "marketing_cost", "contribution"], "segment totals",
                           segmented=True)


def _no_rows(duckdb: WarehouseResource, sql: str, describe, segprof: SegprofConfig | None = None,
             with_next: bool = False) -> dg.AssetCheckResult:
    """A check whose SQL lists what is wrong: it passes on no rows, else `describe(rows)` says why; the rows are kept.
    With `segprof`, the SQL looks at the scoring dates the run wrote ($dates; see suite_checks.computed_dates)."""
    with duckdb.get_connection() as con:
        computed = computed_dates(con, segprof.value, with_next) if segprof is not None else None
        bad = query(con, sql, {"dates": computed.dates} if computed else None)
    scope = {"validated": computed.describe("all their rows")} if computed else {}
    return dg.AssetCheckResult(
        passed=not bad,
        description=describe(bad) if bad else None,
        metadata={"rows": dg.MetadataValue.md(markdown_table(pl.DataFrame(bad[:20])) if bad else "None."), **scope},
    )


@dg.asset_check(asset="customer_segments", blocking=True,
                description="Every scored customer is in exactly one segment at every date this run computed.")
def customer_segments_one_per_customer(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    return _no_rows(duckdb, "profit/check_customer_segments",
                    lambda bad: f"{len(bad)} date(s) with customers missing or duplicated, first {bad[0]['period_end']}", segprof)


@dg.asset_check(asset="segment_migration", blocking=True,
                description="Each from-segment's moves add up to that segment's customers at the from date.")
def segment_migration_rows_add_up(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    return _no_rows(duckdb, "profit/check_segment_migration", lambda bad: "; ".join(
        f"{r['from_segment']} at {r['start_date']}: {r['moved']} moved vs {r['customers']} customers" for r in bad[:5]),
        segprof, with_next=True)


@dg.asset_check(asset="segment_equity_bridge", blocking=True,
                description="Per segment and period, start equity + acquired - lapsed - migrated out + migrated in + value change "
                            "= end equity = the segment's customer equity, and start equity = its equity at the start date, to the cent.")
def segment_equity_bridge_reconciles(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    return _no_rows(duckdb, "profit/check_segment_equity_bridge",
                    lambda bad: f"{len(bad)} bridge(s) do not reconcile, first {bad[0]['segment']} from {bad[0]['period_start']}",
                    segprof, with_next=True)


@dg.asset_check(asset="segment_contribution_bridge", blocking=True,
                description="Per segment, period and basis, base contribution + the six effects = contribution, and both ends "
                            "equal the segment P&L's contribution of their period, to the cent.")
def segment_contribution_bridge_reconciles(duckdb: WarehouseResource) -> dg.AssetCheckResult:
    return _no_rows(duckdb, "profit/check_segment_contribution_bridge",
                    lambda bad: f"{len(bad)} bridge(s) do not reconcile, first {bad[0]['segment']} {bad[0]['basis']} "
                                f"for {bad[0]['period_start']}")


@dg.asset_check(asset="segment_dimension_profit", blocking=True,
                description="Per segment, period this run computed and dimension, the rows add up to the segment P&L "
                            "(customers, revenue, contribution, profit after overhead), to the cent.")
def segment_dimension_profit_adds_up(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    return _no_rows(duckdb, "profit/check_segment_dimension_profit",
                    lambda bad: f"{len(bad)} segment dimension(s) do not add up, first {bad[0]['segment']} by "
                                f"{bad[0]['dimension']} for {bad[0]['period_start']}", segprof)


@dg.asset_check(asset="at_risk_customers", blocking=True,
                description="At every date this run computed, a customer is on one action list at most, and each list is "
                            "ranked 1 to n.")
def at_risk_customers_one_row_per_customer(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    return _no_rows(duckdb, "profit/check_at_risk_customers",
                    lambda bad: f"{len(bad)} action list(s) with a customer listed twice or ranks not 1 to n, first "
                                f"{bad[0]['segment']} at {bad[0]['period_end']}", segprof, with_next=True)


CHECKS = [customer_profit_reconciles_to_ledger, segment_profitability_reconciles_to_ledger,
          customer_segments_one_per_customer, segment_migration_rows_add_up, segment_equity_bridge_reconciles,
          segment_contribution_bridge_reconciles, segment_dimension_profit_adds_up, at_risk_customers_one_row_per_customer,
          expectations_check("segment_profitability", "profit.segment_profitability")]
