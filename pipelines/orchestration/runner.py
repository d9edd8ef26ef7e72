"""Runs the asset graph in-process through Dagster, recorded in the project's instance, with a line per finished step.

The graph decides the order within a run; a run works in phases. First the steps the history plan is made from:
ingest (the transactions step plans the run's periods and sets the period partitions, pipelines/orchestration/
periods.py) and the customers. Then the rest, in one run over the partition range of the planned periods (without
the per-period assets when the plan computes none). With warehouse.shards above 1, ingest runs over every shard first
(one run per partition range, the shard assets' backfill policy) and RFM and profit over every shard after the plan;
the gathering assets' links to the shard assets are drawn in the graph but are not execution dependencies, so the
runs are what orders them. The CLI only parses arguments and prints."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg

from pipelines.errors import SegprofError
from pipelines.orchestration import periods
from pipelines.orchestration.code_location import build_defs
from pipelines.orchestration.ingest_assets import TRANSACTIONS
from pipelines.orchestration.instance import dagster_home
from pipelines.orchestration.run_report import run_summary
from pipelines.orchestration.shard_assets import GROUP as SHARD_GROUP, TRANSACTION_SHARDS
from pipelines.warehouse.sharding import shard_keys

USER_ERRORS = {"ConfigError", "SourceError", "QualityError", "SegprofError", "ModelError"}


def quiet_dagster() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TQDM_DISABLE", "1")
    logging.getLogger("dagster").setLevel(logging.CRITICAL)


@dataclass
class Outcome:
    """What a run did: the failure lines (empty when it succeeded), the assets it materialised and the report."""
    failures: list[str]
    materialised: set[str] = field(default_factory=set)
    report: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)  # the Dagster runs, in order


def run(config_path: str, select: str | None = None, verbose: bool = False, progress: bool = False,
        started: float | None = None, full_refresh: bool = False, restate: tuple[str, str | None] | None = None) -> Outcome:
    """Materialise `select` (a Dagster asset selection; default all) in one run; its outcome and summary lines.

    `full_refresh` reads every source file again and `restate` (first, last day) recomputes stored periods: the ingest
    step's run config (IngestOptions).
    """
    started = time.perf_counter() if started is None else started
    quiet_dagster()
    defs = build_defs(config_path)
    selection = dg.AssetSelection.all()
    if select:
        try:
            selection = dg.AssetSelection.from_string(select).required_multi_asset_neighbors()
            matched = selection.resolve(defs.resolve_asset_graph())
        except Exception as exc:  # the selection grammar raises several types
            raise SegprofError(f"--select {select!r}: not a valid asset selection ({exc})") from exc
        if not matched:
            raise SegprofError(f"--select {select!r} matches no asset")
    config = defs.resources["segprof"].value
    graph = defs.resolve_asset_graph()
    per_period, planning = periods.selections(graph)
    phases = [(selection & planning, {}), (selection - planning, PLANNED)]
    shards = selection & dg.AssetSelection.groups(SHARD_GROUP)
    if config.sharded and shards.resolve(graph):
        keys = shard_keys(config.warehouse.shards)
        every_shard = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
        ingest_shards = shards & dg.AssetSelection.assets(TRANSACTION_SHARDS)
        phases = [(ingest_shards, every_shard), (selection & planning - shards, {}), (shards - ingest_shards, every_shard),
                  (selection - planning, PLANNED)]
    ran: set[str] = set()
    ingest_run, run_ids = None, []
    with _instance(config) as instance:
        for part, tags in phases:
            if part.resolve(graph) and tags is PLANNED:
                part, tags = _over_planned_periods(defs, instance, part, per_period)
            if not part.resolve(graph):
                continue
            ingests = TRANSACTIONS in part.resolve(graph)
            options = {"full_refresh": full_refresh, "restate_from": restate[0], "restate_to": restate[1]} if restate else (
                {"full_refresh": True} if full_refresh else {})
            ops = {TRANSACTIONS.to_user_string(): {"config": options}} if options and ingests else None
            result = materialize(defs, part, instance, verbose, progress=progress, tags=tags, ops=ops, started=started)
            run_ids.append(result.run_id)
            failures = failure_lines(result)
            if failures or not result.success:
                return Outcome(failures or ["the run failed; rerun with --verbose for Dagster's log"], run_ids=run_ids)
            ran |= {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
            ingest_run = result.run_id if ingests else ingest_run
    return Outcome([], ran, run_summary(defs, seconds=time.perf_counter() - started, ran=ran if select else None,
                                        run_id=ingest_run), run_ids)


PLANNED: dict[str, str] = {}  # marks the phase that runs over the plan's period partitions


def _over_planned_periods(defs: dg.Definitions, instance: dg.DagsterInstance, part: dg.AssetSelection,
                          per_period: dg.AssetSelection) -> tuple[dg.AssetSelection, dict[str, str]]:
    """The phase after the plan: over the partition range of the periods it computes; without the per-period assets
    when it computes none. With no accepted transactions it runs untagged, and the first step says why."""
    config = defs.resources["segprof"].value
    with defs.resources["duckdb"].get_connection() as con:
        try:
            periods.register(instance, con, config)
            tags = periods.planned_range(con, config)
        except SegprofError:
            return part, {}
    return (part, tags) if tags else (part - per_period, {})


@contextmanager
def _instance(config) -> Iterator[dg.DagsterInstance]:
    """The project's Dagster instance (`.dagster/`, as `make dev` shows it), or an in-memory one outside a project."""
    home = dagster_home(config.file)
    with (dg.DagsterInstance.from_config(str(home)) if home else dg.DagsterInstance.ephemeral()) as instance:
        yield instance


def materialize(defs: dg.Definitions, selection: dg.AssetSelection, instance: dg.DagsterInstance, verbose: bool,
                progress: bool = False, tags: dict[str, str] | None = None, ops: dict | None = None,
                started: float | None = None) -> dg.ExecuteInProcessResult:
    """One in-process run, recorded in `instance`; its progress lines count the time from `started` (default: now)."""
    config = defs.resources["segprof"].value
    with _Progress(instance, enabled=progress, started=started):
        return dg.materialize(
            [*defs.assets, *defs.asset_checks],
            resources=defs.resources,
            selection=selection,
            instance=instance,
            raise_on_error=False,
            tags={"segprof/config": str(config.file), **(tags or {})},
            run_config={"loggers": {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}},
                        **({"ops": ops} if ops else {})},
        )


def failure_lines(result) -> list[str]:
    """One line per failed step, failed check or skipped step, saying why."""
    lines = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            if error.cls_name == "DagsterAssetCheckFailedError":
                continue  # a blocking check stopped the step: the check's own line says why
            while error.cause is not None:
                error = error.cause
            # The message starts "<module>.<Class>: "; our own errors speak for themselves.
            message = error.message.strip().partition(": ")[2] or error.message.strip()
            if error.cls_name not in USER_ERRORS:
                message = f"{error.cls_name}: {message}"
            lines.extend(f"{event.step_key}: {part}" for part in message.splitlines())
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.asset_check_evaluation_data
            if not evaluation.passed:
                why = evaluation.description or "failed"
                lines.append(f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()}: {why}")
        elif event.is_step_skipped:
            lines.append(f"{event.step_key}: skipped (an upstream step or blocking check failed)")
    return lines


def _written(step: str, tables: dict[str, int], partitions: set[str] | None) -> str:
    """What a step wrote, for its progress line: "401,288 rows, 18 periods" (its own table's rows after the step; a
    step that writes other tables too names them: "69,659 rows, rejected_transactions 0")."""
    counts = [f"{n:,} rows" if name == step or len(tables) == 1 else f"{name} {n:,}" for name, n in tables.items()]
    periods = [f"{len(partitions)} period{'s' if len(partitions) > 1 else ''}"] if partitions else []
    return ", ".join(counts + periods)


class _Progress:
    """While a run goes on, a line per finished step on stderr: step, seconds, the rows of the tables it wrote (and how
    many period partitions), time since `started` (the start of `segprof run`, which may span several Dagster runs).

    Reads the run's event log every half second from a thread (the run itself is in this thread)."""

    def __init__(self, instance, enabled: bool, started: float | None = None):
        self.instance, self.enabled = instance, enabled
        self.started, self.stop = time.perf_counter() if started is None else started, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        if self.enabled:
            self.created_after = dt.datetime.now().astimezone()
            self.thread.start()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.stop.set()
            self.thread.join()

    def _watch(self) -> None:
        run_id, shown, rows, partitions = None, 0, {}, {}
        while True:
            last = self.stop.wait(0.5)
            if run_id is None:
                records = self.instance.get_run_records(dg.RunsFilter(created_after=self.created_after), limit=1)
                run_id = records[0].dagster_run.run_id if records else None
            if run_id is not None:
                events = self.instance.all_logs(run_id)
                for entry in events[shown:]:
                    event = entry.dagster_event
                    if event is None:
                        continue
                    elapsed = f"[{time.perf_counter() - self.started:6.1f} s]"
                    if event.is_step_materialization:
                        materialization = event.step_materialization_data.materialization
                        count = materialization.metadata.get("dagster/row_count")
                        tables = rows.setdefault(event.step_key, {})  # a table's rows after the step: its last count
                        if count is not None:
                            tables[materialization.asset_key.to_user_string()] = count.value
                        if materialization.partition:
                            partitions.setdefault(event.step_key, set()).add(materialization.partition)
                    elif event.is_step_success and event.step_key in rows:  # an asset's step (checks: below)
                        seconds = event.event_specific_data.duration_ms / 1000
                        print(f"  {event.step_key:<28} {seconds:7.1f} s  {_written(event.step_key, rows[event.step_key], partitions.get(event.step_key)):<32}"
                              f" {elapsed}", file=sys.stderr, flush=True)
                    elif event.event_type_value == "ASSET_CHECK_EVALUATION":
                        check = event.asset_check_evaluation_data
                        print(f"    check {check.check_name}: {'passed' if check.passed else 'FAILED'}", file=sys.stderr, flush=True)
                shown = len(events)
            if last:
                return
