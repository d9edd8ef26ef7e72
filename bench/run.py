"""make bench: segprof against the plain lifetimes + pandas way, and the DuckDB scan floor, in one session.

For each size it generates (or reuses) seeded synthetic data, then runs, alternating, each in a
fresh process so that peak memory is its own:
  segprof  the whole pipeline (ingest to scorecards and the published snapshot) through Dagster;
  plain    pandas read_parquet, summary_data_from_transaction_data, BetaGeoFitter and
           GammaGammaFitter on every customer row, customer_lifetime_value (12 months);
  core     segprof's way for exactly the plain way's scope (RFM at one date, BG/NBD, Gamma-Gamma, CLV);
  intervals  the core CLV step, the standard errors (the fit step's) and the CLV / p_alive intervals by the default
           (delta) method, apart; `--only intervals` (or `--only incremental`) runs that workload alone and replaces its
           table in the report, `--only core` runs plain, core and floor and replaces the like-for-like table;
  floor    one DuckDB scan of the Parquet files with one GROUP BY customer (the least any RFM costs),
           then segprof's RFM statement at one date over the same files;
  incremental  segprof on every quarter but the last (a full backfill), then the run after the last
           quarter's transactions arrive as a new file (what a routine run costs); `--period month` does the same
           by month, the default grain (profit.period), into its own table.
It reports wall and CPU seconds per stage, peak memory, and the ratios, into bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import textwrap
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
TX_PER_CUSTOMER = 8.13  # what the generator's default parameters give over three years


# --------------------------------------------------------------------------- the measured workloads


def _stage(stages: list, name: str, started: tuple[float, float]) -> tuple[float, float]:
    now = (time.perf_counter(), time.process_time())
    stages.append({"stage": name, "wall": now[0] - started[0], "cpu": now[1] - started[1]})
    return now


def plain(data: Path) -> list[dict]:
    """The way a lifetimes user writes it, on the same files."""
    import lifetimes
    import pandas as pd

    stages, t = [], (time.perf_counter(), time.process_time())
    tx = pd.read_parquet(data / "transactions", columns=["customer_id", "order_ts", "amount"])
    t = _stage(stages, "read", t)
    summary = lifetimes.utils.summary_data_from_transaction_data(tx, "customer_id", "order_ts", "amount", freq="D")
    for column in ("recency", "T"):
        summary[column] = summary[column] / 7
    t = _stage(stages, "rfm", t)
    bgf = lifetimes.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    t = _stage(stages, "fit purchases", t)
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    ggf = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    t = _stage(stages, "fit spend", t)
    ggf.customer_lifetime_value(bgf, summary["frequency"], summary["recency"], summary["T"],
                                summary["monetary_value"].clip(lower=0), time=12, discount_rate=0.0080, freq="W")
    _stage(stages, "clv", t)
    return stages


def _rfm_at_last_day(data: Path):
    """segprof's RFM statement over the Parquet files at the last transaction day, one row per customer."""
    import duckdb
    import polars as pl

    from pipelines.warehouse.database import run

    files = str(data / "transactions" / "*.parquet")
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    con.execute(f"create schema staging; create view staging.transactions as select customer_id, order_ts::date as order_date, "
                f"amount::decimal(18, 2) as amount from read_parquet('{files}')")
    as_of = con.execute("select max(order_date) from staging.transactions").fetchone()[0]
    run(con, "clv/rfm")
    return pl.from_arrow(con.sql("select customer_id, frequency, recency, t, monetary_value from rfm([$as_of::date], 7.0)",
                                 params={"as_of": as_of}).to_arrow_table())


def core(data: Path) -> list[dict]:
    """segprof's way for exactly the plain way's scope: RFM at one date, BG/NBD, Gamma-Gamma, 12-month CLV."""
    from models import clv

    stages, t = [], (time.perf_counter(), time.process_time())
    rfm = _rfm_at_last_day(data)
    t = _stage(stages, "rfm", t)
    purchase = clv.fit_purchase_model("bgnbd", rfm)
    t = _stage(stages, "fit purchases", t)
    spend = clv.fit_spend_model(rfm)
    t = _stage(stages, "fit spend", t)
    clv.score(purchase, spend, rfm, "weeks", 12, 0.10, 1.0)
    _stage(stages, "clv", t)
    return stages


def intervals(data: Path) -> list[dict]:
    """The CLV step of `core` and what intervals add: scores, the standard errors (the Hessians, which the pipeline
    computes in its fit step, models.clv.selection), then the customers' CLV and p_alive intervals by the default
    method (delta), as the pipeline's CLV step adds them to the scores."""
    from models import clv

    rfm = _rfm_at_last_day(data)
    purchase, spend = clv.fit_purchase_model("bgnbd", rfm), clv.fit_spend_model(rfm)
    stages, t = [], (time.perf_counter(), time.process_time())
    scored = clv.score(purchase, spend, rfm, "weeks", 12, 0.10, 1.0)
    t = _stage(stages, "clv", t)
    purchase, spend = (clv.intervals.with_covariance(fit, rfm) for fit in (purchase, spend))
    t = _stage(stages, "standard errors", t)
    clv.intervals.with_customer_intervals(scored, purchase, spend, clv.intervals.IntervalSettings("weeks", 12, 0.10, 1.0))
    _stage(stages, "clv intervals", t)
    return stages


def floor(data: Path) -> list[dict]:
    """The scan floor, then segprof's RFM statement at one date over the same Parquet files (like for like)."""
    import duckdb

    from pipelines.warehouse.database import run

    files = str(data / "transactions" / "*.parquet")
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    stages, t = [], (time.perf_counter(), time.process_time())
    con.execute("select customer_id, count(distinct order_ts::date), min(order_ts), max(order_ts), sum(amount) "
                "from read_parquet($files) group by customer_id", {"files": files}).fetchall()
    t = _stage(stages, "scan + group by customer", t)
    con.execute(f"create schema staging; create view staging.transactions as select customer_id, order_ts::date as order_date, "
                f"amount::decimal(18, 2) as amount from read_parquet('{files}')")
    as_of = con.execute("select max(order_date) from staging.transactions").fetchone()[0]
    run(con, "clv/rfm")
    t = (time.perf_counter(), time.process_time())
    con.execute("select * from rfm([$as_of::date], 7.0)", {"as_of": as_of}).fetchall()
    _stage(stages, "segprof RFM statement, one date", t)
    return stages


def segprof(config: Path) -> list[dict]:
    """The whole pipeline as `segprof run` runs it (ingest, then the planned period partitions), in-process through
    Dagster; stage times from the step events of its runs."""
    import os
    import tempfile
    import warnings

    warnings.filterwarnings("ignore")
    import dagster as dg

    from pipelines.orchestration import runner
    from pipelines.orchestration.instance import DAGSTER_YAML

    with tempfile.TemporaryDirectory() as home:
        os.environ["DAGSTER_HOME"] = home  # a throwaway instance: the project's keeps the demo's runs
        (Path(home) / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
        outcome = runner.run(str(config))
        if outcome.failures:
            raise SystemExit("\n".join(outcome.failures))
        with dg.DagsterInstance.get() as instance:
            return [{"stage": step.step_key, "wall": step.end_time - step.start_time, "cpu": None}
                    for run_id in outcome.run_ids for step in instance.get_run_step_stats(run_id)]


def _print_steps(run: str, steps: list[dict]) -> None:
    """Every step's wall time, largest first, on stderr (the report keeps the largest six of the routine run)."""
    print(f"{run}: {sum(x['wall'] for x in steps):.1f} s", file=sys.stderr)
    for x in sorted(steps, key=lambda x: -x["wall"]):
        print(f"  {x['stage']:<60} {x['wall']:8.1f}", file=sys.stderr, flush=True)


def incremental(data: Path, period: str = "quarter") -> list[dict]:
    """A full run over every period but the last (profit.period: quarter or month), then the run after the last
    period arrives as a new file."""
    import shutil

    import polars as pl

    work = data / ("incremental" if period == "quarter" else f"incremental_{period}")
    shutil.rmtree(work, ignore_errors=True)
    (work / "transactions").mkdir(parents=True)
    rows = pl.scan_parquet(data / "transactions" / "*.parquet")
    last = rows.select(pl.col("order_ts").max()).collect().item()
    months = 3 if period == "quarter" else 1
    cut = pl.datetime(last.year, months * ((last.month - 1) // months) + 1, 1)
    rows.filter(pl.col("order_ts") < cut).sink_parquet(work / "transactions" / "history.parquet")
    rows.filter(pl.col("order_ts") >= cut).sink_parquet(work / f"last_{period}.parquet")
    shutil.copy(data / "customers.parquet", work / "customers.parquet")
    (work / "segprof.yaml").write_text((data / "segprof.yaml").read_text().replace("period: quarter", f"period: {period}"))
    full = segprof(work / "segprof.yaml")
    _print_steps("full backfill", full)
    stages = [{"stage": f"full backfill, every {period} but the last", "wall": sum(x["wall"] for x in full)}]
    (work / f"last_{period}.parquet").rename(work / "transactions" / f"last_{period}.parquet")
    routine = segprof(work / "segprof.yaml")
    _print_steps("routine run", routine)
    stages.append({"stage": f"run after the last {period} arrives", "wall": sum(x["wall"] for x in routine)})
    return stages + [{**x, "stage": f"  {x['stage']}"} for x in routine]


def fit_scaling(distinct_triples: int = 20_000, customers: tuple[int, ...] = (100_000, 1_000_000, 10_000_000, 50_000_000)) -> list[dict]:
    """BG/NBD fit time at a fixed number of distinct (frequency, recency, t) triples as customers grow.

    The same triples (drawn once) carry more customers each: segprof's fit should not slow down,
    lifetimes on every customer row would grow with the customers.
    """
    import numpy as np
    import polars as pl

    from models import clv

    rng = np.random.default_rng(1)
    frequency = rng.poisson(1.5, distinct_triples)
    t = rng.uniform(1, 156, distinct_triples).round(3)
    recency = np.where(frequency > 0, (t * rng.uniform(0, 1, distinct_triples)).round(3), 0.0)
    share = rng.dirichlet(np.ones(distinct_triples))
    rows = []
    for n in customers:
        weights = np.maximum(1, np.round(share * n)).astype(np.int64)
        triples = pl.DataFrame({"frequency": frequency, "recency": recency, "t": t, "n": weights})
        started = time.perf_counter()
        fit = clv.fit_purchase_model("bgnbd", triples)
        rows.append({"customers": int(weights.sum()), "triples": fit.n_triples, "seconds": time.perf_counter() - started})
    return rows


# --------------------------------------------------------------------------- the harness


def _child(kind: str, target: Path, *args: str) -> dict:
    """Run one workload in a fresh process; its stages, total wall and CPU seconds and peak memory."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "_child", kind, str(target), *args], stdout=subprocess.PIPE,
                            text=True, cwd=HERE.parent)
    out, _ = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"{kind} on {target} failed with exit code {proc.returncode}")
    payload = json.loads(out.strip().splitlines()[-1])
    return {"kind": kind, "wall": wall, **payload}


def _measure_child(kind: str, target: Path, *args: str) -> None:
    stages = {"plain": plain, "core": core, "floor": floor, "segprof": segprof, "incremental": incremental,
              "intervals": intervals}[kind](target, *args)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"stages": stages, "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))


def prepare(size: int, data_root: Path, seed: int = 7) -> tuple[Path, Path, int]:
    """Synthetic data of about `size` transactions (reused when already there) and a segprof config for it."""
    from models import synthetic

    customers = max(50, round(size / TX_PER_CUSTOMER))
    data = data_root / f"{size}"
    params = data / "parameters.json"
    if not params.is_file() or json.loads(params.read_text())["customers"] != customers:
        synthetic.generate(customers=customers, seed=seed, out_dir=data)
    config = data / "segprof.yaml"
    config.write_text(textwrap.dedent("""
        # Benchmark config: the plain way fits BG/NBD only, so segprof does too.
        warehouse: {path: work/segprof.duckdb}
        sources:
          - name: synthetic
            path: transactions/*.parquet
            format: parquet
            columns: {customer_id: customer_id, order_id: order_id, order_date: order_ts, amount: amount,
                      quantity: quantity, channel: channel, region: region, category: category, unit_cost: unit_cost}
        customer_attributes: {path: customers.parquet}
        clv: {model: bgnbd, candidates: [bgnbd]}
        profit:
          period: quarter
          cogs: {method: unit_cost, rate: {default: 0.6}}
          cost_to_serve: {per_order: {default: 2.0}, per_line: {default: 0.4}}
          returns: {handling_per_return: 5.0}
          marketing: {per_customer_per_period: {default: 1.5}}
        scorecards: {output_dir: work/scorecards}
    """))
    for old in (data / "work").glob("*"):
        if old.is_file():
            old.unlink()
    return data, config, json.loads(params.read_text())["transactions"]


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    libs = ", ".join(f"{p} {version(p)}" for p in ("duckdb", "polars", "pandas", "numpy", "scipy", "lifetimes", "dagster"))
    return f"{os.cpu_count()} CPUs, {mem:.0f} GiB RAM, {platform.machine()}, Python {platform.python_version()}; {libs}"


INTERVALS_HEADING = "## Intervals: what they add to the CLV step"


def intervals_section(rows: list[dict]) -> list[str]:
    """The `intervals` workload's table: the CLV step, the standard errors (a cost of the fit step) and the intervals."""
    lines = ["", INTERVALS_HEADING, "",
             f"Measured on {time.strftime('%Y-%m-%d')}: {machine()}. In a fresh process per size: the `core` CLV step",
             "(scores at one date), the standard errors (the Hessians of both fits: the pipeline's fit step computes them,",
             "not its CLV step), then the customers' CLV and p_alive intervals by the default method (delta: the scores at",
             "the fit and at a step in each parameter, k + 1 parameter sets) as the CLV step adds them to the scores.", "",
             "| transactions | customers | clv s | standard errors s (fit step) | clv intervals s | (clv + clv intervals) / clv |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        step = {x["stage"]: x["wall"] for x in r["intervals"]["stages"]}
        lines.append(f"| {r['transactions']:,} | {r['customers']:,} | {step['clv']:.2f} | {step['standard errors']:.2f} | "
                     f"{step['clv intervals']:.2f} | {(step['clv'] + step['clv intervals']) / step['clv']:.2f}× |")
    return lines


LIKE_FOR_LIKE_HEADING = "## Like for like: the plain way's scope done segprof's way"


def like_for_like_section(rows: list[dict]) -> list[str]:
    """The plain way against segprof's core (same scope, same outputs), and the core's stages against the scan floor."""
    lines = ["", LIKE_FOR_LIKE_HEADING, "",
             f"Measured on {time.strftime('%Y-%m-%d')}: {machine()}.",
             "RFM at one date (segprof's SQL over the same Parquet), BG/NBD and Gamma-Gamma on compressed statistics,",
             "12-month CLV per distinct triple: the same outputs as the plain way, each in a fresh process, alternating",
             "plain, core and floor. Wall s is the whole process (imports included); core stages s is the sum of its four",
             "stages, against the floor's one DuckDB scan and GROUP BY customer of the same files.", "",
             "| transactions | plain wall s | plain peak MiB | segprof core wall s | segprof core peak MiB | plain / core wall | "
             "plain / core memory | core stages s | floor scan s | core stages / floor |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        p, c = r["plain"], r["core"]
        stages, scan = sum(x["wall"] for x in c["stages"]), r["floor"]["stages"][0]["wall"]
        lines.append(f"| {r['transactions']:,} | {p['wall']:.1f} | {p['peak_mib']:,.0f} | {c['wall']:.1f} | {c['peak_mib']:,.0f} | "
                     f"{p['wall'] / c['wall']:.1f}× | {p['peak_mib'] / c['peak_mib']:.1f}× | {stages:.2f} | {scan:.2f} | "
                     f"{stages / scan:.2f}× |")
    return lines


def routine_heading(period: str = "quarter") -> str:
    return f"## A routine run: one new {period}"


ROUTINE_HEADING = routine_heading()


def routine_section(rows: list[dict], period: str = "quarter") -> list[str]:
    """The `incremental` workload's table: a full backfill, then the run after one new period, and that run's
    largest steps."""
    lines = ["", routine_heading(period), "",
             f"Measured on {time.strftime('%Y-%m-%d')}: {machine()}.",
             f"The same data less its last {period}, run from an empty warehouse with profit.period: {period} (a full",
             f"backfill of every {period} end, with a refit at every quarter end), then the run after the last {period}'s",
             f"transactions arrive as a new file: it reads that file, computes that {period} and keeps the others",
             "(docs/history.md). Each in one process.", "",
             "| transactions | full backfill wall s | routine run wall s | routine / full | peak MiB | routine run's largest steps (wall s) |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        i = r["incremental"]
        full, routine = i["stages"][0]["wall"], i["stages"][1]["wall"]
        steps = ", ".join(f"{x['stage'].strip()} {x['wall']:.1f}" for x in sorted(i["stages"][2:], key=lambda x: -x["wall"])[:6])
        lines.append(f"| {r['transactions']:,} | {full:.1f} | {routine:.1f} | {routine / full:.0%} | {i['peak_mib']:,.0f} | {steps} |")
    return lines


def replace_section(text: str, heading: str, lines: list[str]) -> str:
    """`text` (a report) with the section under `heading` replaced by `lines` (which start with a blank line and it).
    The old table's rows for sizes not measured again are kept, in order of size, and marked as earlier figures."""
    if f"\n{heading}\n" not in text:  # a new section goes after the last routine-run section
        after = text.find("\n## ", text.rindex("\n## A routine run") + 1)
        after = after if after >= 0 else len(text)
        text = text[:after] + f"\n\n{heading}\n" + text[after:]
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    old = text[start:end if end >= 0 else len(text)].splitlines()

    def size(row: str) -> int:
        return int(row.split("|")[1].replace(",", "").replace("(earlier)", ""))

    measured = {size(x) for x in lines if x.startswith("| ") and x[2].isdigit()}
    kept = [x if "(earlier)" in x else x.replace(" |", " (earlier) |", 1)
            for x in old if x.startswith("| ") and x[2].isdigit() and size(x) not in measured]
    table = [x for x in lines if x.startswith("| ") and x[2].isdigit()]
    head = [x for x in lines if x not in table]
    lines = head + sorted(table + kept, key=size)
    if kept:
        lines += ["", "Rows marked (earlier) are from an earlier run of the bench, at the sizes not measured on the date above."]
    return text[:start] + "\n".join(lines) + ("\n" + text[end:] if end >= 0 else "\n")


def report(rows: list[dict], scaling: list[dict]) -> str:
    lines = [
        "# segprof benchmark",
        "",
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}: {machine()}.",
        "All runs in one session, alternating segprof, plain and floor per size, each in a fresh process.",
        "segprof runs the whole pipeline (ingest, checks, RFM at every quarter end, BG/NBD backtest and fit,",
        "Gamma-Gamma, CLV at every quarter end, customer and segment P&L, migration, whale curve, at-risk,",
        "scorecards, published snapshot); the plain way computes RFM, two fits and CLV at one date.",
        "",
        "| transactions | customers | segprof wall s | segprof CPU s | segprof peak MiB | plain wall s | plain CPU s | plain peak MiB | plain / segprof wall | floor wall s | segprof RFM, one date, same Parquet / floor | segprof RFM step, every quarter end / floor |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        s, p, f = r["segprof"], r["plain"], r["floor"]
        rfm = next(x["wall"] for x in s["stages"] if x["stage"].startswith("customer_rfm"))
        floor_wall, one_date = f["stages"][0]["wall"], f["stages"][1]["wall"]
        lines.append(f"| {r['transactions']:,} | {r['customers']:,} | {s['wall']:.1f} | {s['cpu']:.1f} | {s['peak_mib']:,.0f} | "
                     f"{p['wall']:.1f} | {p['cpu']:.1f} | {p['peak_mib']:,.0f} | {p['wall'] / s['wall']:.2f}× | "
                     f"{floor_wall:.2f} | {one_date / floor_wall:.1f}× | {rfm / floor_wall:.1f}× |")
    lines += routine_section(rows)
    lines += ["", "## Fit time at a fixed number of distinct triples", "",
              "BG/NBD on the same distinct (frequency, recency, t) triples carrying more and more customers (weights).", "",
              "| customers | distinct triples | fit s |", "| --- | --- | --- |"]
    lines += [f"| {x['customers']:,} | {x['triples']:,} | {x['seconds']:.2f} |" for x in scaling]
    lines += like_for_like_section(rows)
    lines += intervals_section(rows)
    for r in rows:
        lines += ["", f"## {r['transactions']:,} transactions: where the time goes", "",
                  "| segprof step | wall s |", "| --- | --- |"]
        lines += [f"| {x['stage']} | {x['wall']:.2f} |" for x in sorted(r["segprof"]["stages"], key=lambda x: -x["wall"])]
        lines += ["", "| plain stage | wall s | CPU s |", "| --- | --- | --- |"]
        lines += [f"| {x['stage']} | {x['wall']:.2f} | {x['cpu']:.2f} |" for x in r["plain"]["stages"]]
        lines += ["", "| segprof core stage | wall s | CPU s |", "| --- | --- | --- |"]
        lines += [f"| {x['stage']} | {x['wall']:.2f} | {x['cpu']:.2f} |" for x in r["core"]["stages"]]
        lines += ["", "| floor stage | wall s | CPU s |", "| --- | --- | --- |"]
        lines += [f"| {x['stage']} | {x['wall']:.2f} | {x['cpu']:.2f} |" for x in r["floor"]["stages"]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_child":
        _measure_child(argv[1], Path(argv[2]), *argv[3:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--out", type=Path, default=HERE / "results.md")
    ap.add_argument("--only", choices=["intervals", "incremental", "core"],
                    help="run only this workload at each size and replace its table in --out, keeping the rest")
    ap.add_argument("--period", choices=["quarter", "month"], default="quarter",
                    help="the period grain of `--only incremental` (the whole bench measures quarters)")
    args = ap.parse_args(argv)
    if args.only:
        rows = []
        for size in args.sizes:
            data, _, transactions = prepare(size, args.data)
            print(f"{transactions:,} transactions: {args.only} ...", flush=True)
            customers = json.loads((data / "parameters.json").read_text())["customers"]
            row = {"transactions": transactions, "customers": customers}
            if args.only == "core":
                row.update((kind, _child(kind, data)) for kind in ("plain", "core", "floor"))
            else:
                extra = (args.period,) if args.only == "incremental" else ()
                row[args.only] = _child(args.only, data, *extra)
            rows.append(row)
        if args.only == "intervals":
            heading, section = INTERVALS_HEADING, intervals_section(rows)
        elif args.only == "core":
            heading, section = LIKE_FOR_LIKE_HEADING, like_for_like_section(rows)
        else:
            heading, section = routine_heading(args.period), routine_section(rows, args.period)
        args.out.write_text(replace_section(args.out.read_text(encoding="utf-8"), heading, section), encoding="utf-8")
        print(f"wrote {args.out}")
        return 0
    rows = []
    for size in args.sizes:
        data, config, transactions = prepare(size, args.data)
        print(f"{transactions:,} transactions: segprof ...", flush=True)
        s = _child("segprof", config)
        print(f"  segprof {s['wall']:.1f} s; plain ...", flush=True)
        p = _child("plain", data)
        print(f"  plain {p['wall']:.1f} s; segprof core ...", flush=True)
        c = _child("core", data)
        print(f"  core {c['wall']:.1f} s; floor ...", flush=True)
        f = _child("floor", data)
        print(f"  floor {f['wall']:.1f} s; incremental ...", flush=True)
        n = _child("incremental", data)
        print(f"  incremental {n['wall']:.1f} s; intervals ...", flush=True)
        i = _child("intervals", data)
        customers = json.loads((data / "parameters.json").read_text())["customers"]
        rows.append({"transactions": transactions, "customers": customers, "segprof": s, "plain": p, "core": c, "floor": f,
                     "incremental": n, "intervals": i})
    scaling = fit_scaling()
    args.out.write_text(report(rows, scaling), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
