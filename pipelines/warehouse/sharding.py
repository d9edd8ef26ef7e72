"""Customer-hash shards: the per-customer stages (ingest, RFM, profit) for one shard at a time.

A shard keeps the input records whose customer id hashes to it (sql/ingest/keep_shard.sql), so each
customer's transactions are all in one shard and per-customer results need nothing from the others.
A shard step works in its own in-memory DuckDB, runs the same statements as the unsharded pipeline,
and writes Parquet to <shards_dir>/<table>/shard-<k>-of-<n>.parquet: any number of processes or
machines can write at once, which one DuckDB file cannot take. The unsharded steps then gather the
shards' rows into the warehouse; the model fits read the gathered transactions at each refit date. Sharded
and unsharded runs give the same tables.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import polars as pl

from pipelines.config import Config
from pipelines.errors import SegprofError
from pipelines.warehouse import calendar, clv_tables, history, loading, outputs, profit_tables
from pipelines.warehouse.database import create_tables, query, replace_rows, Rows, run, write_tables


def shard_keys(count: int) -> list[str]:
    """Dagster partition keys of the shards: 0-padded so that they sort."""
    width = len(str(count - 1))
    return [str(i).zfill(width) for i in range(count)]


def shard_path(config: Config, table: str, index: int) -> str:
    n = config.warehouse.shards
    return f"{config.shards_dir}/{table}/shard-{index:04d}-of-{n:04d}.parquet"


def shard_files(config: Config, table: str) -> list[str]:
    return [shard_path(config, table, i) for i in range(config.warehouse.shards)]


def connect(config: Config) -> duckdb.DuckDBPyConnection:
    """A shard's own in-memory DuckDB (spilling to the shards folder when local); httpfs for object storage."""
    con = duckdb.connect(config={"memory_limit": config.warehouse.memory_limit})
    if "://" in config.shards_dir:
        con.install_extension("httpfs")  # a no-op once installed
        con.load_extension("httpfs")
    else:
        outputs.claim(Path(config.shards_dir), config.file)  # segprof's own folder, marked
        con.execute("set temp_directory = ?", [str(Path(config.shards_dir) / ".tmp")])
    return con


def write(con: duckdb.DuckDBPyConnection, config: Config, index: int, outputs: dict[str, str | pl.DataFrame]) -> None:
    """Each output (a table name in con, or a frame) to its shard file."""
    for table, source in outputs.items():
        _write_file(con, source, shard_path(config, table, index), f"_{table}")


def _write_file(con: duckdb.DuckDBPyConnection, source: str | pl.DataFrame, path: str, name: str) -> None:
    """A table name in con, or a frame (registered as `name`), to the Parquet file `path`; a local file is replaced atomically."""
    if isinstance(source, pl.DataFrame):
        con.register(name, source.to_arrow())
        source = name
    local = "://" not in path
    if local:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    run(con, "shards/write_parquet", {"table": source, "path": f"{path}.tmp" if local else path})
    if local:
        os.replace(f"{path}.tmp", path)


def plan_path(config: Config) -> str:
    return f"{config.shards_dir}/plan/scoring_dates.parquet"


def write_plan(config: Config, dates: list[dt.date]) -> None:
    """The scoring dates the run computes (history.plan), beside the shards: the RFM and profit shards compute those only."""
    with connect(config) as con:
        _write_file(con, pl.DataFrame({"period_end": dates}, schema={"period_end": pl.Date}), plan_path(config), "_plan")


def planned_dates(con: duckdb.DuckDBPyConnection, config: Config, scoring: list[dt.date]) -> list[dt.date]:
    """The scoring dates of the run's plan (write_plan); every scoring date when no plan was written."""
    try:
        planned = {row["period_end"] for row in query(con, "shards/planned_dates", {"path": plan_path(config)})}
    except duckdb.IOException:  # no plan: a shard step run on its own before any gathering run
        return scoring
    return [d for d in scoring if d in planned]


def require(con: duckdb.DuckDBPyConnection, config: Config, dates: list[dt.date], what: str, table: str | None = None) -> None:
    """Stop when the shards were written for another plan than this run's `dates`: the days the `table` files hold
    (RFM: every date has customers), or else the plan they read (shards run on their own in the UI, say)."""
    if table:
        held = {row["day"] for row in query(con, "shards/stored_days", {"files": shard_files(config, table)}, column="period_end")}
    else:
        held = set(planned_dates(con, config, dates))
    missing = [d for d in dates if d not in held]
    if missing:
        raise SegprofError(f"the shards' {what} lack {', '.join(map(str, missing[:5]))}{' ...' if len(missing) > 5 else ''}, which this "
                           "run computes: they were written for another run's plan; materialise the shards again after "
                           "transactions (segprof run does)")


def ingest_shard(config: Config, index: int, loaded_at: dt.datetime) -> list:
    """Load one shard's records of every source; write its accepted and rejected rows and per-source counts."""
    with connect(config) as con:
        loads = loading.load_transactions(con, config, loaded_at, loading.Shard(index, config.warehouse.shards))
        write(con, config, index, {
            "transactions": "staging.transactions",
            "rejected_transactions": "staging.rejected_transactions",
            "source_loads": pl.DataFrame([load.__dict__ for load in loads]),
        })
    return loads


def _load_shard_transactions(con: duckdb.DuckDBPyConnection, config: Config, index: int) -> None:
    create_tables(con, "ingest/transactions", "ingest/rejected_transactions")
    replace_rows(con, "staging.transactions", "ingest/gather_transactions", {"files": [shard_path(config, "transactions", index)]})


def shards_calendar(con: duckdb.DuckDBPyConnection, config: Config) -> calendar.Calendar:
    """The calendar over all shards (what every shard's dates derive from)."""
    return calendar.read(con, config, "shards/data_window", {"files": shard_files(config, "transactions")})


def rfm_shard(config: Config, index: int) -> int:
    """One shard's RFM at the scoring dates the run computes; returns its customers at the last of them."""
    with connect(config) as con:
        _load_shard_transactions(con, config, index)
        scoring = shards_calendar(con, config).scoring_dates
        dates = planned_dates(con, config, scoring)
        clv_tables.build_customer_rfm(con, config, dates, scoring)
        write(con, config, index, {"customer_rfm": "clv.customer_rfm"})
        return clv_tables.load_rfm(con, dates[-1]).height if dates else 0


def profit_shard(config: Config, index: int) -> None:
    """One shard's customer x period revenue, costs and contribution, before overhead, in the periods the run computes."""
    with connect(config) as con:
        _load_shard_transactions(con, config, index)
        loading.build_customers(con, config)
        cal = shards_calendar(con, config)
        periods = [calendar.period_start(d, config.profit.period) for d in planned_dates(con, config, cal.scoring_dates)]
        profit_tables.build_customer_profit_base(con, config, cal.as_of, periods)
        write(con, config, index, {"customer_profit_base": "_customer_profit_base"})


def gather_transactions(con: duckdb.DuckDBPyConnection, config: Config) -> list:
    """Replace staging.transactions and the quarantine with the shards' rows, in one transaction."""
    create_tables(con, "ingest/transactions", "ingest/rejected_transactions")
    write_tables(con, Rows("staging.transactions", "ingest/gather_transactions", {"files": shard_files(config, "transactions")}),
          Rows("staging.rejected_transactions", "ingest/gather_rejected_transactions",
               {"files": shard_files(config, "rejected_transactions")}))
    return [loading.SourceLoad(**row) for row in query(con, "shards/source_loads", {"files": shard_files(config, "source_loads")})]


def gather_customer_rfm(con: duckdb.DuckDBPyConnection, config: Config, dates: list[dt.date], scoring: list[dt.date]) -> None:
    """clv.customer_rfm at `dates` from the shards' RFM (each shard computes the dates of the run's plan)."""
    require(con, config, dates, "RFM", "customer_rfm")
    create_tables(con, "clv/customer_rfm")
    replace_rows(con, "clv.customer_rfm", "clv/gather_customer_rfm", {"files": shard_files(config, "customer_rfm"), "dates": dates},
                 history.replaced(con, "clv.customer_rfm", "period_end", dates, scoring))
