"""Sensors: start a run when a configured source file appears or changes."""

import hashlib

import dagster as dg

from pipelines.errors import SegprofError
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
    description="Materialises the whole graph when a source file is added, removed or changed.",
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
    if fingerprint == context.cursor:
        return dg.SkipReason("source files unchanged")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)
