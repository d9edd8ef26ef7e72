"""Shards: the per-customer stages (ingest, RFM, profit) as static partitions, one per customer-hash shard.

Built only when the config sets warehouse.shards above 1. Each partition writes Parquet to the shards
folder (or object storage) and never touches the warehouse file. A run covers a range of shards (the
backfill policy is one run per range, as `segprof run` and a UI backfill launch it) and works
warehouse.shard_workers of them at a time; past one machine, a multi-run backfill gives each shard its
own run (pod, Celery worker). The unsharded assets then gather them, after every shard of a phase is done: the
transactions step gathers ingest and plans the run's periods, which the RFM and profit shards then compute.
"""

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import polars as pl

from pipelines.errors import SegprofError
from pipelines.orchestration.asset_metadata import markdown_table
from pipelines.orchestration.resources import SegprofConfig
from pipelines.warehouse import sharding

GROUP = "shards"
TRANSACTION_SHARDS = dg.AssetKey("transaction_shards")
RFM_SHARDS = dg.AssetKey("rfm_shards")
PROFIT_SHARDS = dg.AssetKey("profit_shards")
GATHERED = dg.AssetKey("transactions")  # gathers the ingest shards and plans the run's periods
# What each unsharded asset gathers.
GATHERS = {"transactions": TRANSACTION_SHARDS, "rejected_transactions": TRANSACTION_SHARDS, "customer_rfm": RFM_SHARDS, "customer_profit": PROFIT_SHARDS}


def each_shard(context: dg.AssetExecutionContext, workers: int, work: Callable[[int], object]) -> list:
    """`work(shard)` for every shard in the run's partition range, `workers` at a time, in shard order.

    Threads suffice: each shard works in its own DuckDB, which releases the GIL while it runs. A failure is
    raised once, naming every shard it happened in."""
    shards = [int(key) for key in context.partition_keys]

    def attempt(shard: int):
        try:
            return work(shard), None
        except Exception as exc:  # reported below, per distinct message
            return None, exc

    with ThreadPoolExecutor(max_workers=min(workers, len(shards))) as pool:
        outcomes = list(pool.map(attempt, shards))
    failed: dict[str, list[str]] = {}
    for key, (_, exc) in zip(context.partition_keys, outcomes):
        if exc is not None:
            why = str(exc) if isinstance(exc, SegprofError) else f"{type(exc).__name__}: {exc}"
            failed.setdefault(why, []).append(key)
    if failed:
        raise SegprofError(*(f"shard{'s' if len(keys) > 1 else ''} {', '.join(keys)}: {why}" for why, keys in failed.items()))
    return [result for result, _ in outcomes]


def shard_assets(count: int) -> list[dg.AssetsDefinition]:
    partitions = dg.StaticPartitionsDefinition(sharding.shard_keys(count))
    # RFM and profit wait for every shard's ingest and for the run's plan (the transactions step, which gathers them)
    after_ingest = [dg.AssetDep(TRANSACTION_SHARDS, partition_mapping=dg.AllPartitionMapping()), dg.AssetDep(GATHERED)]
    one_run = dg.BackfillPolicy.single_run()

    @dg.asset(key=TRANSACTION_SHARDS, partitions_def=partitions, backfill_policy=one_run, kinds={"duckdb", "parquet"},
              group_name=GROUP)
    def transaction_shards(context: dg.AssetExecutionContext, segprof: SegprofConfig) -> dg.MaterializeResult:
        """One shard's records of every source, validated: accepted and quarantined rows as Parquet."""
        config = segprof.value
        loaded_at = dt.datetime.now().replace(microsecond=0)
        loads = [load for shard in each_shard(context, config.warehouse.shard_workers,
                                              lambda i: sharding.ingest_shard(config, i, loaded_at)) for load in shard]
        return dg.MaterializeResult(metadata={
            "shards": len(context.partition_keys),
            "records_read": sum(load.records_read for load in loads),
            "accepted": sum(load.accepted for load in loads),
            "rejected": sum(load.rejected for load in loads),
            "sources": dg.MetadataValue.md(markdown_table(pl.DataFrame([load.__dict__ for load in loads]))),
            "path": sharding.shard_path(config, "transactions", int(context.partition_keys[0])),
        })

    # Every shard's dates come from the first and last day over all shards, and the dates it computes from the run's
    # plan (sharding.planned_dates): RFM and profit wait for all of ingest and for the transactions step.
    @dg.asset(key=RFM_SHARDS, partitions_def=partitions, backfill_policy=one_run, deps=after_ingest,
              kinds={"duckdb", "parquet"}, group_name=GROUP)
    def rfm_shards(context: dg.AssetExecutionContext, segprof: SegprofConfig) -> dg.MaterializeResult:
        """One shard's RFM at the scoring dates the run computes."""
        config = segprof.value
        customers = each_shard(context, config.warehouse.shard_workers, lambda i: sharding.rfm_shard(config, i))
        return dg.MaterializeResult(metadata={
            "shards": len(context.partition_keys), "customers": sum(customers),
            "path": sharding.shard_path(config, "customer_rfm", int(context.partition_keys[0])),
        })

    @dg.asset(key=PROFIT_SHARDS, partitions_def=partitions, backfill_policy=one_run, deps=after_ingest,
              kinds={"duckdb", "parquet"}, group_name=GROUP)
    def profit_shards(context: dg.AssetExecutionContext, segprof: SegprofConfig) -> dg.MaterializeResult:
        """One shard's customer x period revenue, costs and contribution in the periods the run computes (overhead is
        allocated over all shards)."""
        config = segprof.value
        each_shard(context, config.warehouse.shard_workers, lambda i: sharding.profit_shard(config, i))
        return dg.MaterializeResult(metadata={
            "shards": len(context.partition_keys),
            "path": sharding.shard_path(config, "customer_profit_base", int(context.partition_keys[0])),
        })

    return [transaction_shards, rfm_shards, profit_shards]


def gathering(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """The unsharded assets, with the shard assets each gathers as an extra dependency."""
    def add_shard_dep(spec: dg.AssetSpec) -> dg.AssetSpec:
        shard = GATHERS.get(spec.key.to_user_string())
        # every shard feeds every period partition
        return spec.merge_attributes(deps=[dg.AssetDep(shard, partition_mapping=dg.AllPartitionMapping())]) if shard else spec

    return dg.map_asset_specs(add_shard_dep, assets)
