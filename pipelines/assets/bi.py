"""BI layer: the read-only warehouse snapshot that BI tools open, published last and atomically."""

import datetime as dt

import dagster as dg

from pipelines import clv as clv_io
from pipelines import publish
from pipelines.assets.ingest import REJECTED, customers
from pipelines.assets.scorecards import segment_scorecard
from pipelines.resources import SegprofConfig, WarehouseResource


@dg.asset(deps=[segment_scorecard, customers, REJECTED], kinds={"duckdb"}, group_name="bi")
def published_warehouse(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """The published DuckDB snapshot: contract schemas, BI views and meta.runs, replaced atomically."""
    config = segprof.value
    stats = context.instance.get_run_stats(context.run_id)
    started = dt.datetime.fromtimestamp(stats.start_time) if stats and stats.start_time else dt.datetime.now()
    with duckdb.get_connection() as con:
        counts = publish.record_run(con, config, context.run_id, started.replace(microsecond=0), clv_io.as_of_date(con, config))
        path = publish.publish(con, config.published_path, config.warehouse.published_storage_version)
        exported = []
        if config.warehouse.parquet_export:
            exported = publish.export_parquet(con, config.resolve(config.warehouse.parquet_export))
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(path)),
        "storage_version": config.warehouse.published_storage_version,
        "tables": len(counts),
        "row_counts": counts,
        "parquet_export": ", ".join(exported) or "off",
    })
