"""Ingest layer: source files -> staging.transactions (+ quarantine) -> staging.customers."""

import dagster as dg
import polars as pl

from pipelines.orchestration.asset_metadata import markdown_table, table_metadata
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.warehouse import loading, sharding
from pipelines.warehouse.database import query

TRANSACTIONS = dg.AssetKey("transactions")
REJECTED = dg.AssetKey("rejected_transactions")

@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            TRANSACTIONS,
            description="staging.transactions: one accepted transaction line.",
            kinds={"duckdb"},
            group_name="ingest",
            skippable=True,
        ),
        dg.AssetSpec(
            REJECTED,
            description="staging.rejected_transactions: one rejected input record, with the reason.",
            kinds={"duckdb"},
            group_name="ingest",
            skippable=True,
        ),
    ],
)
def transactions(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource):
    """Load every configured source (or gather the shards' loads); a source's rows are replaced in one DuckDB transaction."""
    config = segprof.value
    with duckdb.get_connection() as con:
        loads = sharding.gather_transactions(con, config) if config.sharded else loading.load_transactions(con, config)
        per_source = pl.DataFrame([load.__dict__ for load in loads])
        reasons = pl.DataFrame(query(con, "ingest/rejection_reasons")) if sum(l.rejected for l in loads) else None
        read = sum(l.records_read for l in loads)
        accepted = sum(l.accepted for l in loads)
        rejected = sum(l.rejected for l in loads)
        counts = {"records_read": read, "accepted": accepted, "rejected": rejected}
        for load in loads:
            context.log.info(
                f"source {load.source}: {load.records_read:,} records read, "
                f"{load.accepted:,} accepted, {load.rejected:,} rejected"
            )
        yield dg.MaterializeResult(
            asset_key=TRANSACTIONS,
            metadata={
                **table_metadata(con, "staging.transactions"),
                **counts,
                "sources": dg.MetadataValue.md(markdown_table(per_source)),
            },
        )
        yield dg.MaterializeResult(
            asset_key=REJECTED,
            metadata={
                **table_metadata(con, "staging.rejected_transactions"),
                **counts,
                "reasons": dg.MetadataValue.md(markdown_table(reasons) if reasons is not None else "No rejected records."),
            },
        )

@dg.asset(
    deps=[TRANSACTIONS],
    kinds={"duckdb"},
    group_name="ingest",
)
def customers(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """staging.customers: one row per customer with an accepted transaction."""
    with duckdb.get_connection() as con:
        loading.build_customers(con, segprof.value)
        return dg.MaterializeResult(metadata=table_metadata(con, "staging.customers"))
