"""Sensors: run the graph when a configured source file appears or changes, as `segprof run` does it.

A run is two Dagster runs: ingest first (it loads the files, makes the history plan and sets the period partitions),
then, once it succeeded, the rest over the partition range of the planned periods (pipelines/orchestration/periods.py).
"""

import hashlib
import json

import dagster as dg

from pipelines.errors import SegprofError
from pipelines.orchestration import periods
from pipelines.orchestration.ingest_assets import TRANSACTIONS
from pipelines.orchestration.resources import SegprofConfig


def source_fingerprint(segprof: SegprofConfig) -> str:
    """A digest of every source file's path, size and modification time."""
    config = segprof.value
    digest = hashlib.sha256()
    for source in config.sources:
        for path in config.source_files(source):
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(
    name="new_source_files",
    minimum_interval_seconds=60,
    target=dg.AssetSelection.all(),
    description="When a source file is added, removed or changed: materialises ingest, then the rest over the periods "
                "its history plan computes (the period partitions).",
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def new_source_files(context: dg.SensorEvaluationContext, segprof: SegprofConfig):
    if segprof.value.sharded:
        return dg.SkipReason("warehouse.shards > 1: shards run as partitions; start `segprof run` or a backfill of "
                             "the shards group instead")
    try:
        fingerprint = source_fingerprint(segprof)
    except SegprofError as exc:
        return dg.SkipReason(str(exc))
    # {"files": the fingerprint last run, "waiting_for": the run key of its ingest run, until the rest is requested}
    cursor = json.loads(context.cursor) if (context.cursor or "").startswith("{") else {"files": context.cursor}
    graph = context.repository_def.asset_graph
    per_period, planning = periods.selections(graph)
    planning = planning.resolve(graph)
    if fingerprint != cursor.get("files"):
        context.update_cursor(json.dumps({"files": fingerprint, "waiting_for": f"ingest-{fingerprint}"}))
        return dg.RunRequest(run_key=f"ingest-{fingerprint}", asset_selection=sorted(planning))
    if not cursor.get("waiting_for"):
        return dg.SkipReason("source files unchanged")
    runs = context.instance.get_runs(dg.RunsFilter(tags={"dagster/run_key": cursor["waiting_for"]}), limit=1)
    if not runs or not runs[0].is_finished:
        return dg.SkipReason(f"waiting for the ingest run {cursor['waiting_for']}")
    context.update_cursor(json.dumps({"files": fingerprint}))
    if not runs[0].is_success:
        return dg.SkipReason(f"the ingest run {runs[0].run_id} failed: nothing more is run for these files")
    event = context.instance.get_latest_materialization_event(TRANSACTIONS)
    planned = event.asset_materialization.metadata["planned_partitions"].value if event and event.run_id == runs[0].run_id else []
    rest = graph.get_all_asset_keys() - planning - (set() if planned else per_period.resolve(graph))
    return dg.RunRequest(run_key=f"periods-{fingerprint}", asset_selection=sorted(rest), tags=periods.range_tags(planned))
