"""Builds segprof's Dagster Definitions for one config file (used by definitions.py and the runner)."""

from __future__ import annotations

import os

import dagster as dg

from pipelines import config as config_module
from pipelines.orchestration import (bi_assets, clv_assets, clv_checks, ingest_assets, ingest_checks, profit_assets, profit_checks,
                                     scorecard_assets, shard_assets)
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.orchestration.sensors import new_source_files

DEFAULT_CONFIG = "segprof.yaml"


def build_defs(config_path: str | os.PathLike) -> dg.Definitions:
    config = config_module.load(config_path)
    config.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    assets = dg.load_assets_from_modules([ingest_assets, clv_assets, profit_assets, scorecard_assets, bi_assets])
    if config.sharded:
        assets = [*shard_assets.shard_assets(config.warehouse.shards), *shard_assets.gathering(assets)]
    return dg.Definitions(
        assets=assets,
        asset_checks=[*ingest_checks.CHECKS, *clv_checks.CHECKS, *profit_checks.CHECKS],
        sensors=[new_source_files],
        resources={
            "segprof": SegprofConfig(path=str(config.file)),
            "duckdb": WarehouseResource(database=str(config.warehouse_path),
                                        connection_config={
                                            "memory_limit": config.warehouse.memory_limit,
                                            # a new warehouse file is created in the snapshot's format, so
                                            # publishing it is a byte copy (pipelines/warehouse/publish.py)
                                            "storage_compatibility_version": config.warehouse.published_storage_version,
                                        }),
        },
        # One DuckDB file takes one writer at a time: run steps in one process. Shards never open the
        # file; they run in parallel as separate runs (one per partition).
        executor=dg.in_process_executor,
    )

