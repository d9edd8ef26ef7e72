"""The `segprof` command: run the pipeline, validate a config, generate synthetic data."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pipelines.errors import SegprofError

EXIT_FAILED = 1
EXIT_USAGE = 2


def cmd_run(args: argparse.Namespace) -> int:
    from pipelines import config as config_module
    from pipelines.orchestration import runner
    from pipelines.warehouse.database import writer_lock
    from pipelines.warehouse.outputs import check_outputs

    started = time.perf_counter()
    config = config_module.load(args.config)
    check_outputs(config)  # before anything is written
    with writer_lock(config.warehouse_path):
        outcome = runner.run(args.config, args.select, args.verbose, progress=sys.stderr.isatty() and not args.quiet,
                             started=started, full_refresh=args.full_refresh, restate=args.restate)
    if outcome.failures:
        print(f"segprof run failed ({args.config}):", file=sys.stderr)
        for line in outcome.failures:
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    if args.select:
        print(f"materialised: {', '.join(sorted(outcome.materialised))}")
    for line in outcome.report:
        print(line)
    return 0


def _period_range(text: str) -> tuple[str, str | None]:
    """FROM[:TO] as ISO days: a month YYYY-MM is its first day (FROM) or its last (TO)."""
    import calendar as months
    import datetime as dt

    def day(part: str, last: bool) -> str:
        try:
            if len(part) == 7:
                year, month = map(int, part.split("-"))
                return dt.date(year, month, months.monthrange(year, month)[1] if last else 1).isoformat()
            return dt.date.fromisoformat(part).isoformat()
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not a month (YYYY-MM) or a day (YYYY-MM-DD)") from None

    start, _, end = text.partition(":")
    first, last = day(start, False), day(end, True) if end else None
    if last is not None and last < first:
        raise argparse.ArgumentTypeError(f"{text!r}: TO ({end}) comes before FROM ({start})")
    return first, last


def cmd_validate(args: argparse.Namespace) -> int:
    from pipelines import config as config_module
    from pipelines.warehouse.outputs import check_outputs

    config = config_module.load(args.config)
    for source in config.sources:
        config.source_files(source)
    check_outputs(config)
    for warning in _window_warnings(config):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{args.config}: OK ({len(config.sources)} source(s), warehouse {config.warehouse_path})")
    return 0


def _window_warnings(config) -> list[str]:
    """The CLV windows against the data the warehouse holds from the last run (none before a first run):
    an error for a holdout after the as-of date or beyond the data, warnings for a weak backtest."""
    import duckdb

    from pipelines.warehouse import calendar
    from pipelines.warehouse.database import query

    if not config.warehouse_path.is_file():
        return []
    try:
        con = duckdb.connect(str(config.warehouse_path), read_only=True)
    except duckdb.Error:  # a run holds the writer lock: nothing to check against now
        return []
    with con:
        if "staging.transactions" not in {r["table_name"] for r in query(con, "warehouse/tables")}:
            return []
        dates = calendar.read(con, config)
    return dates.window_warnings(config)


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
    run.add_argument("--restate", type=_period_range, metavar="FROM[:TO]",
                     help="recompute the stored periods FROM to TO (YYYY-MM or YYYY-MM-DD; default TO: the last), announced "
                          "as a restatement (default: only new, open and changed periods; see docs/history.md)")
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
