"""The periods as Dagster partitions: one dynamic partition per period of the data (config profit.period), keyed by its
label (1998-03 for a month, 1998Q1 for a quarter).

The transactions step makes the run's history plan (pipelines/warehouse/history.py: new, open, changed or restated
periods) and sets the partition keys to the periods of the data. `segprof run` and the source sensor then
materialise the per-period assets in one run over the partition range from the first planned period to the last
(their backfill policy is one run per range), tagged as the plan's run: the assets compute the planned periods and
keep the others, which the plan found unchanged. A run over chosen partitions without that tag (a backfill or a
materialisation from the Dagster UI) computes exactly its partitions and records them as the run's plan; a closed,
published period among them is a restatement, announced like any other, or refused under history.restatement: forbid.
"""

from __future__ import annotations

import datetime as dt
import warnings

import dagster as dg
import duckdb

from pipelines.config import Config
from pipelines.warehouse import calendar, history

# Dagster 1.13 marks backfill policies beta; the single-run policy is what makes a range of periods one run (one SQL
# pass per step), so its notice is not shown to every user of the CLI.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
PERIODS = dg.DynamicPartitionsDefinition(name="periods")
# What every per-period asset is declared with: the period partitions, a range of them materialised in one run.
PER_PERIOD = {"partitions_def": PERIODS, "backfill_policy": dg.BackfillPolicy.single_run()}
PLAN_TAG = "segprof/history_plan"  # a run over the partitions of the plan the transactions step made


def selections(graph) -> tuple[dg.AssetSelection, dg.AssetSelection]:
    """The per-period assets of an asset graph, and what the plan is made from: the unpartitioned assets upstream of
    them (ingest, customers; the shards when sharded), with the assets they are materialised with."""
    per_period = dg.AssetSelection.assets(*(k for k in graph.get_all_asset_keys() if graph.get(k).partitions_def == PERIODS))
    return per_period, (per_period.upstream() - per_period).required_multi_asset_neighbors()


def key(day: dt.date, config: Config) -> str:
    """The partition key of the period holding `day`."""
    return calendar.period_label(calendar.period_start(day, config.profit.period), config.profit.period)


def register(instance: dg.DagsterInstance, con: duckdb.DuckDBPyConnection, config: Config) -> list[str]:
    """Make the instance's period partitions the periods of the data, in calendar order; returns the keys. New periods
    are appended; when a period appears before the last known one, or the grain changes, the keys are set afresh."""
    keys = [key(d, config) for d in calendar.read(con, config).scoring_dates]
    known = list(instance.get_dynamic_partitions(PERIODS.name))
    if known != keys[:len(known)]:
        for old in known:
            instance.delete_dynamic_partition(PERIODS.name, old)
        known = []
    instance.add_dynamic_partitions(PERIODS.name, keys[len(known):])
    return keys


def planned_range(con: duckdb.DuckDBPyConnection, config: Config) -> dict[str, str]:
    """The run tags of a run over the plan's periods: the partition range from the first planned to the last, and the
    plan tag. Empty when the plan computes nothing."""
    return range_tags([key(d, config) for d in history.dates_to_compute(con, config)])


def range_tags(planned: list[str]) -> dict[str, str]:
    """The tags of a run over the partition range from the first planned period to the last; empty for none."""
    if not planned:
        return {}
    return {"dagster/asset_partition_range_start": planned[0], "dagster/asset_partition_range_end": planned[-1], PLAN_TAG: "1"}


def claim(context: dg.AssetExecutionContext, con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """Before a per-period asset computes: in a run over chosen partitions (not the plan's), record those periods as
    the run's plan, so that every step of the run, its checks and the published run record compute and name exactly
    them. A run over the plan's range, or without partitions, keeps the plan."""
    if PLAN_TAG in context.run.tags or not (context.has_partition_key or context.has_partition_key_range):
        return
    chosen = set(context.partition_keys)
    history.record_backfill(con, config, [d for d in calendar.read(con, config).scoring_dates if key(d, config) in chosen])
