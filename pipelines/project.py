"""Builds segprof's Dagster Definitions for one config file (used by definitions.py and the CLI)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from pipelines.resources import WarehouseResource

from pipelines import checks
from pipelines import config as config_module
from pipelines.assets import bi, clv, ingest, profitability, scorecards, shards
from pipelines.resources import SegprofConfig
from pipelines.sensors import new_source_files

DEFAULT_CONFIG = "segprof.yaml"
# The project's Dagster instance: `segprof run`, `make demo` and `make dev` keep runs, materialisations and checks here.
DAGSTER_YAML = """\
concurrency:
  runs:
    max_concurrent_runs: 1  # one writer per DuckDB warehouse
telemetry:
  enabled: false
"""


def dagster_home(config_path: str | os.PathLike) -> Path | None:
    """$DAGSTER_HOME, or `.dagster/` beside the workspace.yaml above the config (the `make dev` instance), created
    with its dagster.yaml when missing; None for a config outside a project (an in-memory instance then)."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    project = next((p for p in Path(config_path).resolve().parents if (p / "workspace.yaml").is_file()), None)
    if project is None:
        return None
    home = project / ".dagster"
    home.mkdir(exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    return home


def build_defs(config_path: str | os.PathLike) -> dg.Definitions:
    config = config_module.load(config_path)
    config.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    assets = dg.load_assets_from_modules([ingest, clv, profitability, scorecards, bi])
    if config.sharded:
        assets = [*shards.shard_assets(config.warehouse.shards), *shards.gathering(assets)]
    return dg.Definitions(
        assets=assets,
        asset_checks=checks.CHECKS,
        sensors=[new_source_files],
        resources={
            "segprof": SegprofConfig(path=str(config.file)),
            "duckdb": WarehouseResource(database=str(config.warehouse_path),
                                        connection_config={
                                            "memory_limit": config.warehouse.memory_limit,
                                            # a new warehouse file is created in the snapshot's format, so
                                            # publishing it is a byte copy (pipelines/publish.py)
                                            "storage_compatibility_version": config.warehouse.published_storage_version,
                                        }),
        },
        # One DuckDB file takes one writer at a time: run steps in one process. Shards never open the
        # file; they run in parallel as separate runs (one per partition).
        executor=dg.in_process_executor,
    )

