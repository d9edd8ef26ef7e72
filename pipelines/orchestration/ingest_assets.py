"""Ingest layer: source files -> staging.transactions (+ quarantine) -> staging.customers."""

import datetime as dt

import dagster as dg
import polars as pl
from pydantic import Field

from pipelines.orchestration import periods
from pipelines.orchestration.asset_metadata import markdown_table, table_metadata
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.warehouse import calendar, history, loading, sharding
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
    restate_from: str | None = Field(
        default=None,
        description="Recompute the stored periods from this day's period (YYYY-MM-DD) on, announced as a restatement "
                    "(`segprof run --restate 1998-03`); by default only new, open and changed periods are computed.",
    )
    restate_to: str | None = Field(default=None, description="Last day of the periods to restate; default: the last period.")


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
        restate = (dt.date.fromisoformat(config.restate_from), dt.date.fromisoformat(config.restate_to or "9999-12-31")
                   ) if config.restate_from else None
        plan = history.plan(con, settings, restate)
        if plan:
            periods.register(context.instance, con, settings)  # the period partitions follow the data
        if settings.sharded and plan:
            sharding.write_plan(settings, plan.compute)  # the RFM and profit shards, which run next, compute these
        removed = [] if settings.sharded else loading.removed_files(con, context.run_id)
        for file in removed:
            context.log.warning(f"source {file['source']}: {file['source_file']} no longer matches the source; its "
                                f"{file['accepted']:,} accepted and {file['rejected']:,} rejected rows were removed")
        if changed:
            context.log.warning(f"inputs changed in closed periods: {_labels(changed, settings)}")
        if plan and plan.restated:
            context.log.warning(f"restating {_labels(plan.restated, settings)} ({plan.reason})")
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
                "inputs_changed": _labels(changed, settings) or "none",
                "periods_computed": _labels([calendar.period_start(d, settings.profit.period) for d in plan.compute], settings)
                                    if plan else "none",
                "restated": _labels(plan.restated, settings) if plan and plan.restated else "none",
                # what the source sensor runs next: the rest over the planned period partitions (pipelines/orchestration/periods.py)
                "planned_partitions": dg.MetadataValue.json([periods.key(d, settings) for d in plan.compute] if plan else []),
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


def _labels(period_starts: list, settings) -> str:
    return ", ".join(calendar.period_label(p, settings.profit.period) for p in period_starts)
