"""The BI snapshot: a read-only copy of the contract schemas, swapped in atomically after a successful run.

Readers open the published file, never the working one, so a reader never blocks a run and
never sees a half-built state: the snapshot is written to a temporary file in the same folder,
checkpointed and synced, then renamed over the published file. A reader that holds the old file
open keeps reading the old snapshot until it reopens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from importlib.metadata import version
from pathlib import Path

import duckdb

from pipelines.config import Config
from pipelines.files import replaced_folder
from pipelines.warehouse import create_tables, query, run

MART_TABLES = ("clv.customer_clv", "profit.customer_segments", "profit.segment_profitability", "profit.segment_migration",
               "profit.whale_curve", "profit.at_risk_customers", "scorecards.segment_scorecard")
BI_VIEWS = ("bi/customer_360", "bi/segment_kpis")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pause_point(name: str) -> None:
    """Test-only fault injection: with SEGPROF_TEST_PAUSE_AT=<name>:<marker file>, reaching `name` writes
    the marker and waits (up to a minute) for the test to kill the run there. Unset, it does nothing."""
    point, _, marker = os.environ.get("SEGPROF_TEST_PAUSE_AT", "").partition(":")
    if point == name and marker:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
        time.sleep(60)


def config_hash(config: Config) -> str:
    return hashlib.sha256(config.file.read_bytes()).hexdigest()


def record_run(con: duckdb.DuckDBPyConnection, config: Config, run_id: str, started_at: dt.datetime, as_of: dt.date) -> dict:
    """Create the BI views and append this run to meta.runs in the working warehouse; returns the row counts."""
    for view in BI_VIEWS:
        create_tables(con, view)
    create_tables(con, "meta/runs")
    counts = {r["table_name"]: r["rows"] for r in query(con, "meta/published_tables")}
    run(con, "meta/insert_run", {
        "run_id": run_id, "started_at": started_at, "finished_at": dt.datetime.now().replace(microsecond=0),
        "config_file": str(config.file), "config_hash": config_hash(config), "as_of": as_of,
        "row_counts": json.dumps(counts), "segprof_version": version("segprof"),
    })
    return counts


def publish(con: duckdb.DuckDBPyConnection, published: Path, storage_version: str) -> Path:
    """Copy the working warehouse (this connection's database) to `published`, atomically.

    When the working file is already in the snapshot's storage format (new warehouses are created
    in it), the copy is the checkpointed file's bytes; otherwise DuckDB rewrites every table
    (COPY FROM DATABASE), which takes as long as the tables are large.
    """
    pause_point("before_publish")
    published.parent.mkdir(parents=True, exist_ok=True)
    for stale in published.parent.glob(f".{published.name}.*.tmp*"):
        stale.unlink(missing_ok=True)  # left by a run that was killed while publishing
    temporary = published.with_name(f".{published.name}.{uuid.uuid4().hex}.tmp")
    working = query(con, "bi/current_database")[0]["name"]
    same_format = query(con, "bi/working_storage_version")[0]["storage_version"] == f"{storage_version}+"
    try:
        if same_format:
            run(con, "bi/checkpoint_working")
            shutil.copyfile(query(con, "bi/current_database")[0]["path"], temporary)
            run(con, "bi/attach_snapshot_copy", {"path": str(temporary)})
        else:
            run(con, "bi/attach_snapshot", {"path": str(temporary), "storage_version": storage_version})
        try:
            if not same_format:
                run(con, "bi/copy_to_snapshot", working=working)
            run(con, "bi/drop_internal_tables")
            pause_point("snapshot_half_written")
            run(con, "bi/checkpoint_snapshot")
        finally:
            run(con, "bi/detach_snapshot")
        _fsync(temporary)
        pause_point("before_rename")
        os.replace(temporary, published)
        _fsync(published.parent)
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)
    return published


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Write the marts as Parquet under folder/<schema>.<table>/, partitioned by as_of_date where they have one."""
    written = []
    with replaced_folder(folder) as staging:
        for table in MART_TABLES:
            schema, name = table.split(".")
            columns = {c["column_name"] for c in query(con, "warehouse/table_columns", {"schema": schema, "table": name})}
            if "as_of_date" in columns:
                run(con, "bi/export_parquet", {"table": table, "path": str(staging / table)})
            else:
                (staging / table).mkdir()
                run(con, "bi/export_parquet_single", {"table": table, "path": str(staging / table / "data.parquet")})
            written.append(table)
    return written
