"""The benchmark harness at a tiny size: every workload runs and the report holds the ratios."""

import importlib.util
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO


def _bench():
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # every benchmark workload, each in its own process
def test_bench_harness_at_a_tiny_size(tmp_path):
    bench = _bench()
    out = tmp_path / "results.md"
    assert bench.main(["--sizes", "20000", "--data", str(tmp_path / "data"), "--out", str(out)]) == 0
    report = out.read_text()
    row = next(line for line in report.splitlines() if line.startswith("| 2"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert int(cells[0].replace(",", "")) > 15_000
    assert cells[8].endswith("×") and float(cells[8][:-1]) > 0  # plain / segprof
    assert float(cells[4].replace(",", "")) > 0  # peak memory measured
    assert "| customer_rfm |" in report and "| rfm |" in report
    assert Path(tmp_path / "data" / "20000" / "work" / "published.duckdb").is_file()  # the whole pipeline ran
    scaling = report.split("## Fit time at a fixed number of distinct triples")[1].split("##")[0]
    rows = [line for line in scaling.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 4 and len({r.split("|")[2] for r in rows}) == 1  # four sizes, the same distinct triples
    routine = report.split("## A routine run: one new quarter")[1].split("##")[0]
    (line,) = [line for line in routine.splitlines() if line.startswith("| 2")]
    full, one_quarter = (float(c) for c in line.split("|")[2:4])
    assert 0 < one_quarter < full  # a new quarter costs less than the backfill of every other one
    steps = line.split("|")[6].strip().split(", ")  # the routine run's six largest steps, each with its seconds
    assert len(steps) == 6 and all(float(step.rsplit(" ", 1)[1]) >= 0 for step in steps)


def test_only_the_intervals_workload_replaces_its_table_and_keeps_the_rest(tmp_path):
    bench = _bench()
    out = tmp_path / "results.md"
    out.write_text(f"# segprof benchmark\n\nkept\n\n{bench.INTERVALS_HEADING}\n\n| old |\n\n## Later\n\nalso kept\n")
    assert bench.main(["--sizes", "20000", "--data", str(tmp_path / "data"), "--out", str(out), "--only", "intervals"]) == 0
    report = out.read_text()
    assert "kept" in report and "## Later\n\nalso kept" in report and "| old |" not in report
    (row,) = [line for line in report.split(bench.INTERVALS_HEADING)[1].splitlines() if line.startswith("| 2")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    clv, errors, intervals = (float(c) for c in cells[2:5])
    assert clv > 0 and errors > 0 and intervals > 0
    assert cells[5].endswith("×") and float(cells[5][:-1]) > 1  # (clv + intervals) / clv: the standard errors left out


def test_only_the_like_for_like_workloads_replace_their_table_with_the_core_against_the_floor(tmp_path):
    bench = _bench()
    out = tmp_path / "results.md"
    out.write_text(f"# segprof benchmark\n\nkept\n\n{bench.LIKE_FOR_LIKE_HEADING}\n\n| old |\n\n## Later\n\nalso kept\n")
    assert bench.main(["--sizes", "20000", "--data", str(tmp_path / "data"), "--out", str(out), "--only", "core"]) == 0
    report = out.read_text()
    assert "kept" in report and "## Later\n\nalso kept" in report and "| old |" not in report
    (row,) = [line for line in report.split(bench.LIKE_FOR_LIKE_HEADING)[1].splitlines() if line.startswith("| 2")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    plain, core, stages, scan = (float(cells[i].replace(",", "")) for i in (1, 3, 7, 8))
    assert 0 < stages < core and plain > 0 and scan > 0  # the stages without the process's imports
    ratio = float(cells[9][:-1])  # core stages / floor, from the unrounded seconds
    assert (stages - 0.005) / (scan + 0.005) - 0.005 <= ratio <= (stages + 0.005) / max(scan - 0.005, 1e-9) + 0.005


def test_a_table_replaced_for_some_sizes_keeps_the_other_sizes_rows_marked_earlier():
    bench = _bench()
    text = (f"# segprof benchmark\n\n{bench.ROUTINE_HEADING}\n\nold words\n\n| transactions | full |\n| --- | --- |\n"
            "| 1,000,337 | 78.2 |\n| 10,016,678 | 604.1 |\n\n## Later\n\nkept\n")
    lines = ["", bench.ROUTINE_HEADING, "", "new words", "", "| transactions | full |", "| --- | --- |", "| 10,016,678 | 572.1 |"]
    report = bench.replace_section(text, bench.ROUTINE_HEADING, lines)
    section = report.split(bench.ROUTINE_HEADING)[1].split("## Later")[0]
    assert [line for line in section.splitlines() if line.startswith("| ") and line[2].isdigit()] == [
        "| 1,000,337 (earlier) | 78.2 |", "| 10,016,678 | 572.1 |"]
    assert "new words" in section and "old words" not in section and "marked (earlier)" in section
    assert report.endswith("## Later\n\nkept\n")
    again = bench.replace_section(report, bench.ROUTINE_HEADING, lines)  # marked once, however often it is kept
    assert "| 1,000,337 (earlier) | 78.2 |" in again and "(earlier) (earlier)" not in again


def test_the_first_monthly_table_goes_after_the_quarterly_one_and_is_replaced_in_place_after():
    bench = _bench()
    month = bench.routine_heading("month")
    text = f"# segprof benchmark\n\n{bench.ROUTINE_HEADING}\n\n| 10,016,678 | 572.1 |\n\n## Later\n\nkept\n"
    lines = ["", month, "", "by month", "", "| transactions | full |", "| --- | --- |", "| 10,016,678 | 1,100.0 |"]
    report = bench.replace_section(text, month, lines)
    assert report.index(bench.ROUTINE_HEADING) < report.index(month) < report.index("## Later")
    assert "| 10,016,678 | 572.1 |" in report.split(month)[0]  # the quarterly table untouched
    assert report.endswith("## Later\n\nkept\n")
    assert bench.replace_section(report, month, lines) == report  # replaced in place, not added again


@pytest.mark.slow  # a backfill and a routine run by month, in their own process
def test_the_monthly_routine_run_computes_months_and_fills_its_own_table(tmp_path):
    bench = _bench()
    out = tmp_path / "results.md"
    out.write_text(f"# segprof benchmark\n\n{bench.ROUTINE_HEADING}\n\n| 10,016,678 | 572.1 |\n\n## Later\n\nkept\n")
    assert bench.main(["--sizes", "20000", "--data", str(tmp_path / "data"), "--out", str(out),
                       "--only", "incremental", "--period", "month"]) == 0
    work = next((tmp_path / "data").glob("*/incremental_month"))
    assert "period: month" in (work / "segprof.yaml").read_text()
    with duckdb.connect(str(work / "work" / "published.duckdb"), read_only=True) as snapshot:
        ends = [r[0] for r in snapshot.sql("select distinct period_end from profit.customer_profit order by 1").fetchall()]
    assert len(ends) > 30 and all((b - a).days <= 31 for a, b in zip(ends, ends[1:]))  # every month end, not quarters
    report = out.read_text()
    (line,) = [x for x in report.split(bench.routine_heading("month"))[1].splitlines() if x.startswith("| 2")]
    full, one_month = (float(c) for c in line.split("|")[2:4])
    assert 0 < one_month < full
    assert "| 10,016,678 | 572.1 |" in report.split(bench.routine_heading("month"))[0]  # the quarterly table kept
