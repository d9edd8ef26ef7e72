"""The `segprof` command: run the pipeline, validate a config, generate synthetic data."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import time
import warnings
from pathlib import Path

from pipelines.errors import SegprofError

EXIT_FAILED = 1
EXIT_USAGE = 2
USER_ERRORS = {"ConfigError", "SourceError", "QualityError", "SegprofError", "ModelError"}


def _quiet_dagster() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TQDM_DISABLE", "1")
    logging.getLogger("dagster").setLevel(logging.CRITICAL)


def _failure_lines(result) -> list[str]:
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


def cmd_run(args: argparse.Namespace) -> int:
    _quiet_dagster()
    from pipelines.project import build_defs

    from pipelines import config as config_module
    from pipelines.files import check_outputs
    from pipelines.warehouse import writer_lock

    started = time.perf_counter()
    config = config_module.load(args.config)
    check_outputs(config)  # before anything is written
    defs = build_defs(args.config)
    with writer_lock(config.warehouse_path):
        return _run(args, defs, started)


def _run(args: argparse.Namespace, defs, started: float) -> int:
    import dagster as dg

    from pipelines.summary import run_summary

    selection = dg.AssetSelection.all()
    if args.select:
        try:
            selection = dg.AssetSelection.from_string(args.select).required_multi_asset_neighbors()
            matched = selection.resolve(defs.resolve_asset_graph())
        except Exception as exc:  # the selection grammar raises several types
            raise SegprofError(f"--select {args.select!r}: not a valid asset selection ({exc})") from exc
        if not matched:
            raise SegprofError(f"--select {args.select!r} matches no asset")
    config = defs.resources["segprof"].value
    failures, result = [], None
    if config.sharded:
        failures = _run_shards(args, defs, selection)
        selection = selection - dg.AssetSelection.groups("shards")
    ops = {}
    if args.full_refresh and dg.AssetKey("transactions") in selection.resolve(defs.resolve_asset_graph()):
        ops = {"transactions": {"config": {"full_refresh": True}}}  # pipelines.assets.ingest.IngestOptions
    if not failures:
        result = _materialize(defs, selection, args.verbose, progress=sys.stderr.isatty() and not args.quiet, ops=ops)
        failures = _failure_lines(result)
    if failures or not result.success:
        print(f"segprof run failed ({args.config}):", file=sys.stderr)
        for line in failures or ["the run failed; rerun with --verbose for Dagster's log"]:
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    ran = None
    if args.select:
        ran = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        print(f"materialised: {', '.join(sorted(ran))}")
    for line in run_summary(defs, seconds=time.perf_counter() - started, ran=ran, run_id=result.run_id):
        print(line)
    return 0


def _materialize(defs, selection, verbose: bool, partition_key: str | None = None, progress: bool = False,
                 ops: dict | None = None):
    """One in-process run, recorded in the project's Dagster instance (`.dagster/`, as `make dev` shows it)."""
    import dagster as dg

    from pipelines.project import dagster_home

    config = defs.resources["segprof"].value
    home = dagster_home(config.file)
    with (dg.DagsterInstance.from_config(str(home)) if home else dg.DagsterInstance.ephemeral()) as instance:
        with _Progress(instance, enabled=progress):
            return dg.materialize(
                [*defs.assets, *defs.asset_checks],
                resources=defs.resources,
                selection=selection,
                partition_key=partition_key,
                instance=instance,
                raise_on_error=False,
                tags={"segprof/config": str(config.file)},
                run_config={"loggers": {"console": {"config": {"log_level": "INFO" if verbose else "CRITICAL"}}},
                            **({"ops": ops} if ops else {})},
            )


class _Progress:
    """While a run goes on, a line per finished step on stderr: step, seconds, rows written, time since the start.

    Reads the run's event log every half second from a thread (the run itself is in this thread)."""

    def __init__(self, instance, enabled: bool):
        import threading

        self.instance, self.enabled = instance, enabled
        self.started, self.stop = time.perf_counter(), threading.Event()
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
        import dagster as dg

        run_id, shown, rows = None, 0, {}
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
                        count = event.step_materialization_data.materialization.metadata.get("dagster/row_count")
                        rows.setdefault(event.step_key, []).extend([f"{count.value:,}"] if count is not None else [])
                    elif event.is_step_success and event.step_key in rows:  # an asset's step (checks: below)
                        seconds = event.event_specific_data.duration_ms / 1000
                        written = f"{' + '.join(rows[event.step_key])} rows" if rows[event.step_key] else ""
                        print(f"  {event.step_key:<24} {seconds:7.1f} s  {written:<20} {elapsed}", file=sys.stderr, flush=True)
                    elif event.event_type_value == "ASSET_CHECK_EVALUATION":
                        check = event.asset_check_evaluation_data
                        print(f"    check {check.check_name}: {'passed' if check.passed else 'FAILED'}", file=sys.stderr, flush=True)
                shown = len(events)
            if last:
                return


def _run_shard(config_path: str, keys: list[str], partition_key: str, verbose: bool) -> list[str]:
    """One shard's run of the given shard assets, in a worker process; the failure lines, if any."""
    import dagster as dg

    from pipelines.project import build_defs

    _quiet_dagster()
    defs = build_defs(config_path)
    result = _materialize(defs, dg.AssetSelection.assets(*keys), verbose, partition_key)
    return _failure_lines(result) or ([] if result.success else ["the run failed; rerun with --verbose for Dagster's log"])


def _run_shards(args: argparse.Namespace, defs, selection) -> list[str]:
    """The shard assets in the selection: ingest for every shard, then RFM and profit, shard_workers runs at a time."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import dagster as dg

    from pipelines.assets.shards import TRANSACTION_SHARDS
    from pipelines.shards import shard_keys

    config = defs.resources["segprof"].value
    chosen = (selection & dg.AssetSelection.groups("shards")).resolve(defs.resolve_asset_graph())
    phases = [[k for k in chosen if k == TRANSACTION_SHARDS], [k for k in chosen if k != TRANSACTION_SHARDS]]
    context = multiprocessing.get_context("spawn")  # a fresh interpreter per worker: no forked Dagster state
    with ProcessPoolExecutor(max_workers=config.warehouse.shard_workers, mp_context=context) as pool:
        for phase in filter(None, phases):
            names = [k.to_user_string() for k in phase]
            futures = {key: pool.submit(_run_shard, args.config, names, key, args.verbose)
                       for key in shard_keys(config.warehouse.shards)}
            shards_by_line: dict[str, list[str]] = {}
            for key, future in futures.items():
                for line in future.result():
                    shards_by_line.setdefault(line, []).append(key)
            if shards_by_line:  # one line per distinct failure, naming the shards it happened in
                return [f"shard{'s' if len(keys) > 1 else ''} {', '.join(keys)}: {line}" for line, keys in shards_by_line.items()]
    return []


def cmd_validate(args: argparse.Namespace) -> int:
    from pipelines import config as config_module

    from pipelines.files import check_outputs

    config = config_module.load(args.config)
    for source in config.sources:
        config.source_files(source)
    check_outputs(config)
    print(f"{args.config}: OK ({len(config.sources)} source(s), warehouse {config.warehouse_path})")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from models import synthetic

    started = time.perf_counter()
    summary = synthetic.generate(
        customers=args.customers, seed=args.seed, out_dir=Path(args.out), years=args.years
    )
    print(
        f"wrote {summary['transactions']:,} transactions of {summary['customers']:,} customers "
        f"to {Path(args.out).resolve()} in {time.perf_counter() - started:.1f} s "
        f"(parameters: {Path(args.out).resolve() / 'parameters.json'})"
    )
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from pipelines import docs

    stale = []
    for path, start, end, body in docs.generated(Path(args.dir)):
        if args.check:
            if docs.section(path, start, end) != body:
                stale.append(path)
            else:
                print(f"{path}: up to date")
        else:
            print(f"{path}: {'rewritten' if docs.write_section(path, body, start, end) else 'already up to date'}")
    if stale:
        raise SegprofError(*(f"{path}: out of date; run `segprof docs`" for path in stale))
    return 0


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="segprof", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    config_help = "config file (default: $SEGPROF_CONFIG or segprof.yaml)"
    default_config = os.environ.get("SEGPROF_CONFIG", "segprof.yaml")

    run = sub.add_parser("run", help="materialise the pipeline's assets in-process through Dagster")
    run.add_argument("--config", default=default_config, help=config_help)
    run.add_argument("--select", help="Dagster asset selection, e.g. 'transactions' or 'key:customers+' (default: all)")
    run.add_argument("--verbose", action="store_true", help="show Dagster's event log")
    run.add_argument("--quiet", action="store_true", help="no line per finished step (shown on a terminal)")
    run.add_argument("--full-refresh", action="store_true",
                     help="read every source file again (default: only new and changed files; see docs/ingest.md)")
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check a config file and its source files")
    validate.add_argument("--config", default=default_config, help=config_help)
    validate.set_defaults(func=cmd_validate)

    gen = sub.add_parser("generate", help="write a seeded synthetic transaction log as Parquet")
    gen.add_argument("--customers", type=_at_least_one, required=True, help="how many customers (1 or more)")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--years", type=_positive, default=3.0, help="length of the observed history, in years")
    gen.add_argument("--out", required=True, help="output folder")
    gen.set_defaults(func=cmd_generate)
    documentation = sub.add_parser("docs", help="regenerate docs/schema.md and docs/configuration.md from the code")
    documentation.add_argument("--dir", default="docs", help="the documentation folder (default: docs)")
    documentation.add_argument("--check", action="store_true", help="only check; exit 1 when a document is out of date")
    documentation.set_defaults(func=cmd_docs)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SegprofError as exc:
        problems = exc.problems or [str(exc)]
        if len(problems) == 1:
            first, *rest = problems[0].splitlines()
            print(f"segprof {args.command}: {first}", *(f"  {line}" for line in rest), sep="\n", file=sys.stderr)
        else:
            print(f"segprof {args.command}: {len(problems)} problems:", file=sys.stderr)
            for problem in problems:
                first, *rest = problem.splitlines()
                print(f"  {first}", *(f"    {line}" for line in rest), sep="\n", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
