"""Shards: the per-customer stages (ingest, RFM, profit) as static partitions, one per customer-hash shard.

Built only when the config sets warehouse.shards above 1. Each partition writes Parquet to the shards
folder (or object storage) and never touches the warehouse file, so partitions run in parallel: as
separate runs here, or as pods or Celery workers past one machine. The unsharded assets then gather them.
"""

import datetime as dt

import dagster as dg
import polars as pl

from pipelines import shards
from pipelines.metadata import markdown_table
from pipelines.resources import SegprofConfig

GROUP = "shards"
TRANSACTION_SHARDS = dg.AssetKey("transaction_shards")
RFM_SHARDS = dg.AssetKey("rfm_shards")
PROFIT_SHARDS = dg.AssetKey("profit_shards")
# What each unsharded asset gathers.
GATHERS = {"transactions": TRANSACTION_SHARDS, "rejected_transactions": TRANSACTION_SHARDS, "customer_rfm": RFM_SHARDS, "customer_profit": PROFIT_SHARDS}


def shard_assets(count: int) -> list[dg.AssetsDefinition]:
    partitions = dg.StaticPartitionsDefinition(shards.shard_keys(count))
    after_ingest = [dg.AssetDep(TRANSACTION_SHARDS, partition_mapping=dg.AllPartitionMapping())]

    @dg.asset(key=TRANSACTION_SHARDS, partitions_def=partitions, kinds={"duckdb", "parquet"}, group_name=GROUP)
    def transaction_shards(context: dg.AssetExecutionContext, segprof: SegprofConfig) -> dg.MaterializeResult:
        """One shard's records of every source, validated: accepted and quarantined rows as Parquet."""
        config = segprof.value
        loads = shards.ingest_shard(config, int(context.partition_key), dt.datetime.now().replace(microsecond=0))
        return dg.MaterializeResult(metadata={
            "records_read": sum(load.records_read for load in loads),
            "accepted": sum(load.accepted for load in loads),
            "rejected": sum(load.rejected for load in loads),
            "sources": dg.MetadataValue.md(markdown_table(pl.DataFrame([load.__dict__ for load in loads]))),
            "path": shards.shard_path(config, "transactions", int(context.partition_key)),
        })

    # Every shard's dates come from the first and last day over all shards: RFM and profit wait for all of ingest.
    @dg.asset(key=RFM_SHARDS, partitions_def=partitions, deps=after_ingest, kinds={"duckdb", "parquet"}, group_name=GROUP)
    def rfm_shards(context: dg.AssetExecutionContext, segprof: SegprofConfig) -> dg.MaterializeResult:
        """One shard's RFM at every scoring date, and its compressed statistics for the model fits."""
        config = segprof.value
        customers = shards.rfm_shard(config, int(context.partition_key))
        return dg.MaterializeResult(metadata={
            "customers": customers, "path": shards.shard_path(config, "customer_rfm", int(context.partition_key)),
        })

    @dg.asset(key=PROFIT_SHARDS, partitions_def=partitions, deps=after_ingest, kinds={"duckdb", "parquet"}, group_name=GROUP)
    def profit_shards(context: dg.AssetExecutionContext, segprof: SegprofConfig) -> dg.MaterializeResult:
        """One shard's customer x period revenue, costs and contribution (overhead is allocated over all shards)."""
        config = segprof.value
        shards.profit_shard(config, int(context.partition_key))
        return dg.MaterializeResult(metadata={
            "path": shards.shard_path(config, "customer_profit_base", int(context.partition_key)),
        })

    return [transaction_shards, rfm_shards, profit_shards]


def gathering(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The unsharded assets, with the shard assets each gathers as an extra dependency."""
    def add_shard_dep(spec: dg.AssetSpec) -> dg.AssetSpec:
        shard = GATHERS.get(spec.key.to_user_string())
        return spec.merge_attributes(deps=[shard]) if shard else spec

    return dg.map_asset_specs(add_shard_dep, assets)
