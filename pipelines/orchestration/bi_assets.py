"""BI layer: the read-only warehouse snapshot and the scorecards, published together, last and atomically."""

import datetime as dt
from pathlib import Path

import dagster as dg

from pipelines.orchestration.ingest_assets import REJECTED, customers
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.orchestration.scorecard_assets import segment_scorecard
from pipelines.site import archive, pages
from pipelines.warehouse import calendar, outputs, publish


@dg.asset(deps=[segment_scorecard, customers, REJECTED], kinds={"duckdb", "html"}, group_name="bi")
def published_warehouse(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """The published DuckDB snapshot (contract schemas, BI views, meta.runs) and the HTML scorecards, switched in together."""
    config = segprof.value
    outputs.check_outputs(config)  # runs started from the Dagster UI or a sensor skip `segprof run`'s check
    stats = context.instance.get_run_stats(context.run_id)
    started = dt.datetime.fromtimestamp(stats.start_time) if stats and stats.start_time else dt.datetime.now()
    with duckdb.get_connection() as con:
        counts = publish.record_run(con, config, context.run_id, started.replace(microsecond=0), calendar.read(con, config).as_of)
        data = {**pages.site_data(con, config), "run_id": context.run_id}

        kept: list[dict] = []

        def render(folder: Path, live: Path | None) -> Path:
            kept.extend(archive.render_archive(con, config, folder, live, context.run_id))
            return pages.render_site({**data, "earlier": kept}, folder)

        generation = publish.publish(con, config, context.run_id, render)
        exported = []
        if config.parquet_export_dir:
            exported = publish.export_parquet(con, config.parquet_export_dir, config.file)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(config.published_path)),
        "scorecards": dg.MetadataValue.path(str(config.scorecards_dir / "index.html")),
        "run_folder": dg.MetadataValue.path(str(generation)),
        "storage_version": config.warehouse.published_storage_version,
        "tables": len(counts),
        "row_counts": counts,
        "parquet_export": ", ".join(exported) or "off",
        "kept_pages": ", ".join(k["label"] for k in kept) or "none yet",  # scorecards/periods/ (pipelines/site/archive.py)
    })
