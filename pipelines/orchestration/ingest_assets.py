"""Ingest layer: source files -> staging.transactions (+ quarantine) -> staging.customers."""

import dagster as dg
import polars as pl
from pydantic import Field

from pipelines.errors import SegprofError
from pipelines.orchestration.asset_metadata import markdown_table, table_metadata
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.warehouse import calendar, loading, sharding
from pipelines.warehouse.database import query

TRANSACTIONS = dg.AssetKey("transactions")
REJECTED = dg.AssetKey("rejected_transactions")


class IngestOptions(dg.Config):
    """Run configuration of the ingest step (the launchpad's `ops: transactions: config:`)."""

    full_refresh: bool = Field(
        default=False,
        description="Read every source file again and replace all their rows; by default only new and changed files are "
                    "read (`segprof run --full-refresh`).",
    )


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
def transactions(context: dg.AssetExecutionContext, config: IngestOptions, segprof: SegprofConfig, duckdb: WarehouseResource):
    """Load the sources' new and changed files (or gather the shards' loads of every file); a source's writes are one DuckDB
    transaction. Then fingerprint each period's accepted transactions and say which closed periods' inputs changed."""
    settings = segprof.value
    with duckdb.get_connection() as con:
        if settings.sharded:
            loads = sharding.gather_transactions(con, settings)
        else:
            loads = loading.load_transactions(con, settings, full_refresh=config.full_refresh, run_id=context.run_id)
        changed = loading.record_period_fingerprints(con, settings, context.run_id)
        removed = [] if settings.sharded else loading.removed_files(con, context.run_id)
        for file in removed:
            context.log.warning(f"source {file['source']}: {file['source_file']} no longer matches the source; its "
                                f"{file['accepted']:,} accepted and {file['rejected']:,} rejected rows were removed")
        if changed:
            periods = ", ".join(calendar.period_label(p, settings.profit.period) for p in changed)
            if settings.history.restatement == "forbid":
                raise SegprofError(
                    f"inputs changed in closed periods: {periods}; history.restatement is 'forbid' in {settings.file}, so "
                    "nothing was published. Restore the source files as they were, or set history.restatement: allow to "
                    "restate these periods.")
            context.log.warning(f"inputs changed in closed periods: {periods}")
        per_source = pl.DataFrame([load.__dict__ for load in loads])
        reasons = pl.DataFrame(query(con, "ingest/rejection_reasons")) if sum(l.rejected for l in loads) else None
        read = sum(l.records_read for l in loads)
        accepted = sum(l.accepted for l in loads)
        rejected = sum(l.rejected for l in loads)
        counts = {"records_read": read, "accepted": accepted, "rejected": rejected}
        for load in loads:
            context.log.info(
                f"source {load.source}: {load.files_read} of {load.files} files read, {load.files_unchanged} unchanged, "
                f"{load.files_removed} removed; {load.records_read:,} records read, {load.accepted:,} accepted, "
                f"{load.rejected:,} rejected"
            )
        yield dg.MaterializeResult(
            asset_key=TRANSACTIONS,
            metadata={
                **table_metadata(con, "staging.transactions"),
                **counts,
                "full_refresh": config.full_refresh or settings.sharded,
                "files_read": sum(l.files_read for l in loads),
                "files_unchanged": sum(l.files_unchanged for l in loads),
                "files_removed": dg.MetadataValue.md(markdown_table(pl.DataFrame(removed)) if removed else "None."),
                "inputs_changed": ", ".join(calendar.period_label(p, settings.profit.period) for p in changed) or "none",
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
