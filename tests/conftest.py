"""Shared fixtures: a config file and a fresh DuckDB warehouse per test, in tmp_path."""

from __future__ import annotations

import contextlib
import io
import textwrap
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines import cli

REPO = Path(__file__).resolve().parents[1]

CSV_COLUMNS = {"customer_id": "customer_id", "order_id": "order_id", "order_date": "order_date", "amount": "amount"}


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


@pytest.fixture(scope="session")
def cdnow_demo(tmp_path_factory):
    """The demo config on CDNOW, run twice into a temporary warehouse: (connection, printed summaries)."""
    folder = tmp_path_factory.mktemp("cdnow_clv")
    config = yaml.safe_load((REPO / "segprof.yaml").read_text())
    config["warehouse"]["path"] = str(folder / "w.duckdb")
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
