"""Profitability layer: customer P&L, segments, segment P&L, migration, equity and contribution bridges, the P&L by
customer dimension, whale curve and action lists."""

import dagster as dg
import polars as pl

from pipelines.orchestration import periods
from pipelines.orchestration.asset_metadata import markdown_table, table_metadata
from pipelines.orchestration.clv_assets import customer_clv
from pipelines.orchestration.ingest_assets import TRANSACTIONS, customers
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.warehouse import calendar, history, profit_tables, sharding
from pipelines.warehouse.database import query


def _assumptions(config) -> dict:
    text = config.profit.assumptions
    return {"cost_basis": dg.MetadataValue.md(f"**Assumed costs:** {text}" if text else "Costs from the source data.")}


@dg.asset(deps=[TRANSACTIONS, customers], kinds={"duckdb"}, **periods.PER_PERIOD, group_name="profitability")
def customer_profit(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """profit.customer_profit: customer x period revenue, each cost and contribution."""
    config = segprof.value
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        dates = history.dates_to_compute(con, config)
        if config.sharded:
            sharding.require(con, config, dates, "customer P&L")
        shard_files = sharding.shard_files(config, "customer_profit_base") if config.sharded else None
        profit_tables.build_customer_profit(con, config, calendar.read(con, config), dates, shard_files)
        return dg.MaterializeResult(metadata={**table_metadata(con, "profit.customer_profit"), **_assumptions(config)})


@dg.asset(deps=[customer_clv, customers], kinds={"duckdb", "python"}, **periods.PER_PERIOD, group_name="profitability")
def customer_segments(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """profit.customer_segments: customer x scoring date, exactly one segment."""
    config = segprof.value
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        scoring = calendar.read(con, config).scoring_dates
        dates = history.dates_to_compute(con, config)
        assigned = profit_tables.build_customer_segments(con, config, dates, scoring)
        metadata = table_metadata(con, "profit.customer_segments")
        if dates and dates[-1] == scoring[-1]:
            latest = assigned.filter(pl.col("period_end") == dates[-1]).group_by("segment").agg(customers=pl.len()).sort("segment")
            metadata["segments_at_as_of"] = dg.MetadataValue.md(markdown_table(latest))
        return dg.MaterializeResult(metadata=metadata)


@dg.asset(deps=[customer_profit, customer_segments], kinds={"duckdb"}, **periods.PER_PERIOD, group_name="profitability")
def segment_profitability(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """profit.segment_profitability: segment x period P&L, customers, retention and customer equity."""
    config = segprof.value
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        profit_tables.build_segment_profitability(con, config)
        return dg.MaterializeResult(metadata={**table_metadata(con, "profit.segment_profitability"), **_assumptions(config)})


@dg.asset(deps=[customer_segments, customer_profit], kinds={"duckdb"}, **periods.PER_PERIOD, group_name="profitability")
def segment_migration(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """profit.segment_migration: from-segment x to-segment between consecutive scoring dates."""
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        profit_tables.build_for_dates(con, segprof.value, "segment_migration", {"costs_assumed": segprof.value.profit.costs_assumed},
                                      with_next=True)
        return dg.MaterializeResult(metadata=table_metadata(con, "profit.segment_migration"))


@dg.asset(deps=[customer_segments, customer_profit], kinds={"duckdb"}, **periods.PER_PERIOD, group_name="profitability")
def segment_equity_bridge(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """profit.segment_equity_bridge: segment x period, start equity + acquired - lapsed - migrated out + migrated in + value change = end equity."""
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        profit_tables.build_for_dates(con, segprof.value, "segment_equity_bridge", {"lapsed": segprof.value.lapsed_segment}, with_next=True)
        latest = query(con, "profit/equity_bridge_latest")
        return dg.MaterializeResult(metadata={
            **table_metadata(con, "profit.segment_equity_bridge"),
            "latest_period": dg.MetadataValue.md(markdown_table(pl.DataFrame(latest)) if latest else "No data."),
        })


@dg.asset(deps=[segment_profitability], kinds={"duckdb"}, group_name="profitability")
def segment_contribution_bridge(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """profit.segment_contribution_bridge: segment x period x basis (prior period, year ago), base contribution + customer
    count, revenue per active customer, margin, cost to serve, returns and marketing effects = contribution."""
    with duckdb.get_connection() as con:
        profit_tables.build_table(con, "segment_contribution_bridge", {"costs_assumed": segprof.value.profit.costs_assumed})
        latest = query(con, "profit/contribution_bridge_latest")
        return dg.MaterializeResult(metadata={
            **table_metadata(con, "profit.segment_contribution_bridge"),
            "latest_period": dg.MetadataValue.md(markdown_table(pl.DataFrame(latest)) if latest else "No data."),
        })


@dg.asset(deps=[customer_profit, customer_segments, customers], kinds={"duckdb"}, **periods.PER_PERIOD, group_name="profitability")
def segment_dimension_profit(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """profit.segment_dimension_profit: segment x period x dimension (channel, region, category) x value P&L, for the
    periods the run computes (the others keep their rows)."""
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        profit_tables.build_for_dates(con, segprof.value, "segment_dimension_profit", {"costs_assumed": segprof.value.profit.costs_assumed})
        return dg.MaterializeResult(metadata={**table_metadata(con, "profit.segment_dimension_profit"), **_assumptions(segprof.value)})


@dg.asset(deps=[customer_profit, customer_segments], kinds={"duckdb"}, **periods.PER_PERIOD, group_name="profitability")
def whale_curve(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """profit.whale_curve (+ whale_curve_summary): cumulative contribution by customers ranked by contribution."""
    config = segprof.value
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        profit_tables.build_whale_curve(con, config)
        headline = query(con, "profit/whale_curve_headline")
        return dg.MaterializeResult(metadata={
            **table_metadata(con, "profit.whale_curve"),
            "headline": dg.MetadataValue.md(markdown_table(pl.DataFrame(headline)) if headline else "No data."),
            **_assumptions(config),
        })


@dg.asset(deps=[customer_segments], kinds={"duckdb"}, **periods.PER_PERIOD, group_name="profitability")
def at_risk_customers(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """profit.at_risk_customers: segment x scoring date action list, ranked by expected loss, with a suggested action."""
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        profit_tables.build_action_lists(con, segprof.value)
        return dg.MaterializeResult(metadata=table_metadata(con, "profit.at_risk_customers", preview_rows=10))
