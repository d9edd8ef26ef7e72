"""Shared fixtures: a config file and a fresh DuckDB warehouse per test, in tmp_path."""

from __future__ import annotations

import contextlib
import io
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
import yaml
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

from models import synthetic
from pipelines import cli, config
from pipelines.warehouse import calendar, loading, profit_tables
from pipelines.warehouse.database import create_tables

REPO = Path(__file__).resolve().parents[1]

# Tests that are not about the model choice fix BG/NBD: on data generated from BG/NBD, Pareto/NBD's
# dropout parameters are not identified and each of its fits takes tens of seconds (its likelihood's
# hypergeometric terms slow down as they run off), which made a default run on 500 customers take minutes.
QUICK_CLV = {"model": "bgnbd", "candidates": ["bgnbd"]}

CSV_COLUMNS = {"customer_id": "customer_id", "order_id": "order_id", "order_date": "order_date", "amount": "amount"}



def every_date(con) -> dict:
    """The parameters of a check's SQL that looks at the dates a run wrote ($dates), for every stored scoring date."""
    return {"dates": [d for (d,) in con.execute("select distinct period_end from profit.customer_segments order by 1").fetchall()]}

@pytest.fixture
def write_config(tmp_path):
    """Write a config file with the given sources (dicts) and return its path."""

    def write(sources: list[dict], **settings) -> Path:
        body = {"warehouse": {"path": "warehouse.duckdb"}, "sources": sources, **settings}
        path = tmp_path / "segprof.yaml"
        path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def csv_source(tmp_path):
    """Write a CSV file (header customer_id,order_id,order_date,amount + the given lines) and return its source dict."""

    def make(lines: list[str] | str, name: str = "shop", file: str = "orders.csv", **extra) -> dict:
        text = lines if isinstance(lines, str) else "\n".join(["customer_id,order_id,order_date,amount", *lines]) + "\n"
        (tmp_path / file).write_text(textwrap.dedent(text), encoding="utf-8")
        return {"name": name, "path": file, "format": "csv", "columns": dict(CSV_COLUMNS), **extra}

    return make


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "test.duckdb"))
    yield connection
    connection.close()


@pytest.fixture
def small(tmp_path):
    """A generated data set small enough to run the whole pipeline in seconds."""
    synthetic.generate(customers=2_000, seed=9, out_dir=tmp_path / "data")
    path = tmp_path / "segprof.yaml"
    path.write_text(textwrap.dedent("""
        warehouse: {path: w/work.duckdb, published: bi/published.duckdb, parquet_export: bi/parquet}
        sources:
          - name: syn
            path: data/transactions/*.parquet
            format: parquet
            columns: {customer_id: customer_id, order_id: order_id, order_date: order_ts, amount: amount, channel: channel}
        clv: {model: bgnbd, candidates: [bgnbd]}  # QUICK_CLV
    """))
    return path


@pytest.fixture(scope="session")
def cdnow_summary() -> pl.DataFrame:
    """The 2,357-customer CDNOW sample of the BG/NBD paper, in weeks."""
    s = load_cdnow_summary_data_with_monetary_value()
    return pl.DataFrame({
        "frequency": s["frequency"].to_numpy().astype(np.int64), "recency": s["recency"].to_numpy().astype(float),
        "t": s["T"].to_numpy().astype(float), "monetary_value": s["monetary_value"].to_numpy().astype(float),
    })


@pytest.fixture(scope="session")
def cdnow_demo(tmp_path_factory):
    """The demo config on CDNOW, run twice into a temporary warehouse: (connection, printed summaries)."""
    folder = tmp_path_factory.mktemp("cdnow_clv")
    config = yaml.safe_load((REPO / "segprof.yaml").read_text())
    config["warehouse"] = {"path": str(folder / "w.duckdb")}
    path = folder / "segprof.yaml"
    path.write_text(yaml.safe_dump(config))
    outputs = []
    for _ in range(2):  # the demo must be safe to run twice
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert cli.main(["run", "--config", str(path)]) == 0
        outputs.append([line for line in out.getvalue().splitlines() if not line.startswith("seconds")])
    con = duckdb.connect(str(folder / "w.duckdb"))
    yield con, outputs
    con.close()


LINES = [
    "customer_id,order_id,order_date,amount,channel,category",
    "A,a1,2024-01-05,100.00,web,books",
    "B,b1,2024-01-20,40.00,store,music",
    "C,c1,2024-02-03,10.00,web,books",
    "A,a2,2024-02-10,50.00,web,music",
    "A,a3,2024-02-15,-20.00,web,music",
]

CLV_ROWS = [
    # customer, as_of, p_alive, clv, tier
    ("A", "2024-01-31", 0.9, 100, "gold"),
    ("B", "2024-01-31", 0.5, 10, "bronze"),
    ("A", "2024-02-29", 0.6, 90, "gold"),
    ("B", "2024-02-29", 0.05, 2, "inactive"),
    ("C", "2024-02-29", 0.8, 5, "bronze"),
]


@pytest.fixture
def hand_warehouse(tmp_path):
    """The hand-computed profit example of tests/sql/test_profit.py, built up to the at-risk table."""
    (tmp_path / "t.csv").write_text("\n".join(LINES) + "\n")
    path = tmp_path / "c.yaml"
    path.write_text("""
warehouse: {path: w.duckdb}
as_of_date: 2024-02-29
sources:
  - name: shop
    path: t.csv
    format: csv
    columns: {customer_id: customer_id, order_id: order_id, order_date: order_date, amount: amount, channel: channel, category: category}
profit:
  period: month
  assumptions: hand-made test costs
  cogs: {method: rate, rate: {default: 0.5, by: {books: 0.4}}}
  cost_to_serve: {per_order: {default: 2.0, by: {store: 3.0}}, per_line: {default: 0.5}}
  returns: {handling_per_return: 1.0}
  marketing: {per_customer_per_period: {default: 0.25}, active_months: 2}
  overhead: {amount_per_period: 10.0, key: revenue}
segments:
  - {name: vip, rule: {value_tier: [platinum, gold]}}
  - {name: others, catch_all: true}
at_risk: {tiers: [gold], p_alive_drop: 0.2, recent_days: 14}
""")
    cfg = config.load(path)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    loading.load_transactions(con, cfg)
    loading.build_customers(con, cfg)
    create_tables(con, "clv/customer_clv", "clv/customer_rfm", "clv/model_runs")
    for customer, as_of, p_alive, value, tier in CLV_ROWS:
        con.execute("insert into clv.customer_clv (customer_id, period_end, p_alive, expected_purchases, expected_order_value, clv, "
                    "value_tier, purchase_model, spend_model, horizon_months, run_id, fitted_through) "
                    "values (?, ?, ?, 1, 10, ?, ?, 'bgnbd', 'gamma_gamma', 12, 'r', ?)",
                    [customer, as_of, p_alive, value, tier, as_of])
    con.execute("insert into clv.customer_rfm (customer_id, period_end, frequency, recency, t, monetary_value, first_purchase, "
                "last_purchase, time_unit) values ('A', '2024-02-29', 1, 5.14, 7.86, 50, '2024-01-05', '2024-02-10', 'weeks')")
    cal = calendar.read(con, cfg)
    dates = cal.scoring_dates
    assert [str(d) for d in dates] == ["2024-01-31", "2024-02-29"]
    profit_tables.build_customer_profit(con, cfg, cal, dates)
    profit_tables.build_customer_segments(con, cfg, dates, dates)
    profit_tables.build_segment_profitability(con, cfg)
    profit_tables.build_for_dates(con, cfg, "segment_migration", {"costs_assumed": True}, with_next=True)
    profit_tables.build_for_dates(con, cfg, "segment_equity_bridge", {"lapsed": "lapsed"}, with_next=True)
    profit_tables.build_table(con, "segment_contribution_bridge", {"costs_assumed": True})
    profit_tables.build_for_dates(con, cfg, "segment_dimension_profit", {"costs_assumed": True})
    profit_tables.build_whale_curve(con, cfg)
    profit_tables.build_action_lists(con, cfg)
    yield con, cfg
    con.close()
