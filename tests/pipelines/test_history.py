"""Point-in-time history on CDNOW: a period's figures do not depend on data after it, a new stretch of data is
computed alone and equals a fresh run, and what was published stays as it was."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines import cli
from pipelines.config import load
from pipelines.site import pages
from tests.conftest import REPO

CDNOW = Path(__import__("lifetimes").__file__).parent / "datasets" / "CDNOW_master.txt"
# Per-date tables, run ids aside (a kept date keeps the id of the run that computed it).
TABLES = {
    "clv.customer_rfm": "period_end",
    "clv.customer_clv": "period_end",
    "profit.customer_segments": "period_end",
    "profit.customer_profit": "period_end",
    "profit.segment_profitability": "period_end",
    "profit.segment_migration": "period_end",
    "profit.segment_equity_bridge": "period_end",
    "profit.segment_contribution_bridge": "period_end",
    "profit.segment_dimension_profit": "period_end",
    "profit.at_risk_customers": "period_end",
    "profit.whale_curve": "period_end",
    "profit.whale_curve_summary": "period_end",
}
# Figures of the as-of date only: under clv.interval_dates latest only the as-of date has intervals, so a period end
# that was the as-of date of an earlier run loses them when the data moves on (docs/clv.md, Intervals and history),
# and the whale curve's trailing twelve months end on the as-of date.
INTERVALS = {"clv_low", "clv_high", "p_alive_low", "p_alive_high", "customer_equity_low", "customer_equity_high"}
TRAILING = "window_name = 'trailing_12_months'"


def _rows(con: duckdb.DuckDBPyConnection, table: str, until: dt.date, intervals: bool = True) -> list:
    schema, name = table.split(".")
    columns = [c for (c,) in con.execute("select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                                         "order by column_index", [schema, name]).fetchall()
               if c != "run_id" and (intervals or c not in INTERVALS)]
    as_of_only = f" and not ({TRAILING})" if "window_name" in columns and not intervals else ""
    return con.execute(f"select {', '.join(columns)} from {table} where {TABLES[table]} <= ?{as_of_only} order by all", [until]).fetchall()


def _run(path: Path) -> list[str]:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(["run", "--config", str(path)]) == 0
    return out.getvalue().splitlines()


@pytest.mark.slow  # two CDNOW runs beside the demo's: about two minutes on two shared cores
def test_a_period_is_the_same_whatever_data_came_later_and_new_data_is_computed_alone(cdnow_demo, tmp_path, monkeypatch):
    full, _ = cdnow_demo
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))  # to read the period partitions each run materialised
    (tmp_path / "dagster").mkdir()
    cut = dt.date(1997, 12, 31)
    header, *lines = CDNOW.read_text().splitlines()
    part = {year: "\n".join([header, *(line for line in lines if (line.split()[1] <= f"{cut:%Y%m%d}") == (year == 1997))]) + "\n"
            for year in (1997, 1998)}
    (tmp_path / "cdnow-1997.txt").write_text(part[1997])
    body = yaml.safe_load((REPO / "segprof.yaml").read_text())
    body["warehouse"] = {"path": str(tmp_path / "w.duckdb")}
    body["sources"][0]["path"] = str(tmp_path / "cdnow-*.txt")  # a file per year: 1998's arrives later
    config = tmp_path / "segprof.yaml"
    config.write_text(yaml.safe_dump(body))

    _run(config)  # the data ends on 1997-12-31
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as short:
        before = {table: _rows(short, table, cut, intervals=False) for table in TABLES}
        # the as-of date, and only it, has intervals, from the refit that scored it
        assert short.execute("select distinct period_end, fitted_through from clv.customer_clv where clv_low is not null").fetchall() == [(cut, cut)]
        assert short.execute("select distinct period_end from profit.segment_profitability "
                             "where customer_equity_low is not null").fetchall() == [(cut,)]
    # No look-ahead: every figure up to 1997-12-31 is what the run on all 18 months has for those dates.
    for table in TABLES:
        assert before[table] == _rows(full, table, cut, intervals=False), table
    assert len(before["clv.customer_clv"]) == 23_570 * 10 + 7_846 + 16_322  # Jan and Feb 1997: customers so far

    kept = tmp_path / "scorecards" / "periods"  # the pages of the closed period 1997-12, as published
    published = {page.name: page.read_bytes() for page in (kept / "1997-12").iterdir()}

    (tmp_path / "cdnow-1998.txt").write_text(part[1998])  # six more months arrive
    out = _run(config)
    assert "periods computed   6 of 18 (1998-01 to 1998-06; the others are kept as published)" in out
    assert not any(line.startswith("restated") for line in out)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as grown:
        for table in TABLES:
            assert _rows(grown, table, cut, intervals=False) == before[table], table  # history unchanged
            # = a fresh run, intervals included: 1997-12-31 lost its intervals, 1998-06-30 has those of a fresh run
            assert _rows(grown, table, dt.date(1998, 6, 30)) == _rows(full, table, dt.date(1998, 6, 30)), table
        (computed,) = grown.execute("select periods_computed from meta.runs order by finished_at desc limit 1").fetchone()
    assert computed == [dt.date(1998, m, 1) for m in range(1, 7)]
    # The pages of 1997-12 are the same after later months arrived, and are what the full run's figures give for it
    # (bar the equity intervals, which only the as-of date has, and the footer naming the run).
    assert {page.name: page.read_bytes() for page in (kept / "1997-12").iterdir()} == published
    assert sorted(p.name for p in kept.iterdir()) == ["1997-12", *(f"1998-{m:02}" for m in range(1, 7))]  # those closed since
    assert ('Months as published: <a href="periods/1998-06/index.html">Jun 1998</a>, '
            '<a href="periods/1998-05/index.html">May 1998</a>') in (tmp_path / "scorecards" / "index.html").read_text()
    demo = Path(full.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0])
    data = pages.site_data(full, load(demo.parent / "segprof.yaml"), cut)
    data["archive"] = {"name": "Dec 1997", "latest": "../../index.html", "published": data["generated"].date(), "redrawn": False}
    pages.render_site(data, tmp_path / "from-full")

    def shown(page: bytes) -> list[str]:
        text = re.sub(r'(<br>)?<(p|span) [^>]*data-(interval="[^"]*"|definition="equity-interval")[^>]*>[^<]*</\2>', "",
                      page.decode())
        return [line for line in text.splitlines() if line.strip() and "<footer>" not in line]

    for name in ("index.html", "segment-vip.html", "lapsed.html", "model.html"):
        assert shown(published[name]) == shown((tmp_path / "from-full" / name).read_bytes()), name
    # In Dagster: the partitions follow the data, and the second run materialised the new months' alone.
    with dg.DagsterInstance.get() as instance:
        assert list(instance.get_dynamic_partitions("periods")) == [f"{y}-{m:02}" for y in (1997, 1998) for m in range(1, 13)][:18]
        runs = {r.run_id: r.tags for r in instance.get_runs()}
        by_run: dict[str, set] = {}
        for record in instance.fetch_materializations(dg.AssetKey("customer_clv"), limit=100).records:
            by_run.setdefault(record.run_id, set()).add(record.partition_key)
    assert sorted(map(sorted, by_run.values())) == [[f"1997-{m:02}" for m in range(1, 13)], [f"1998-{m:02}" for m in range(1, 7)]]
    assert all(runs[run_id].get("segprof/history_plan") for run_id in by_run)
