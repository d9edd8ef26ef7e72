"""Builds segprof's Dagster Definitions for one config file (used by definitions.py and the CLI)."""

from __future__ import annotations

import os

import dagster as dg
from pipelines.resources import WarehouseResource

from pipelines import checks
from pipelines import config as config_module
from pipelines.assets import bi, clv, ingest, profitability, scorecards, shards
from pipelines.resources import SegprofConfig
from pipelines.sensors import new_source_files

DEFAULT_CONFIG = "segprof.yaml"


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

