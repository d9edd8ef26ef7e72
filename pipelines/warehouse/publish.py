"""The BI snapshot and the scorecards: published together, atomically, after a successful run.

Readers open the published file, never the working one, so a reader never blocks a run and
never sees a half-built state: a run's snapshot and scorecards are written into a new folder,
checkpointed and synced, then switched in together by one rename. A reader that holds the old
file open keeps reading the old snapshot until it reopens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import stat
import time
import uuid
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import duckdb

from pipelines.config import Config
from pipelines.warehouse import outputs
from pipelines.warehouse.database import Rows, create_tables, query, run, scope, write_tables

MART_TABLES = ("clv.customer_clv", "profit.customer_segments", "profit.segment_profitability", "profit.segment_migration",
               "profit.segment_equity_bridge", "profit.segment_contribution_bridge", "profit.segment_dimension_profit",
               "profit.whale_curve", "profit.at_risk_customers",
               "scorecards.segment_scorecard")
BI_VIEWS = ("bi/customer_360", "bi/segment_kpis")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pause_point(name: str) -> None:
    """Test-only fault injection: with SEGPROF_TEST_PAUSE_AT=<name>:<marker file>, reaching `name` writes
    the marker (this process's id) and waits while it exists, up to ten minutes, for the test to kill the
    run there or to let it go on by deleting the marker. Unset, it does nothing."""
    point, _, marker = os.environ.get("SEGPROF_TEST_PAUSE_AT", "").partition(":")
    if point == name and marker:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
        deadline = time.monotonic() + 600
        while Path(marker).exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def config_hash(config: Config) -> str:
    return hashlib.sha256(config.file.read_bytes()).hexdigest()


def published_run_ids(published: Path) -> list[str]:
    """The runs the live snapshot lists; none when nothing is published yet."""
    if not published.exists():
        return []
    with duckdb.connect(str(published), read_only=True) as snapshot:
        return [r["run_id"] for r in query(snapshot, "meta/run_ids")]


def record_run(con: duckdb.DuckDBPyConnection, config: Config, run_id: str, started_at: dt.datetime, as_of: dt.date) -> dict:
    """Create the BI views and append this run to meta.runs in the working warehouse; returns the row counts.

    Rows of runs that never switched in (killed or failed while publishing) are dropped first.
    """
    for view in BI_VIEWS:
        create_tables(con, view)
    create_tables(con, "meta/runs", "meta/schemas", "meta/relationships", "ingest/period_fingerprints")
    run(con, "meta/forget_unpublished_runs", {"published_run_ids": published_run_ids(config.published_path)})
    counts = {t: query(con, "warehouse/table_row_count", {"table": t})[0]["row_count"]
              for t in (r["table_name"] for r in query(con, "meta/published_tables"))}
    run(con, "meta/published_fingerprints")  # the next run's inputs_changed compares with these
    write_tables(con, Rows("meta.runs", "meta/insert_run", scope=scope("run_id", run_id), params={
        "run_id": run_id, "started_at": started_at, "finished_at": dt.datetime.now().replace(microsecond=0),
        "config_file": str(config.file), "config_hash": config_hash(config), "as_of": as_of,
        "row_counts": json.dumps(counts), "segprof_version": version("segprof"),
    }), Rows("meta.period_fingerprints", source="_published_fingerprints"))
    return counts


def write_snapshot(con: duckdb.DuckDBPyConnection, path: Path, storage_version: str) -> Path:
    """Copy the working warehouse (this connection's database) to the new file `path`, without internal tables.

    When the working file is already in the snapshot's storage format (new warehouses are created
    in it), the copy is the checkpointed file's bytes; otherwise DuckDB rewrites every table
    (COPY FROM DATABASE), which takes as long as the tables are large.
    """
    working = query(con, "bi/current_database")[0]["name"]
    same_format = query(con, "bi/working_storage_version")[0]["storage_version"] == f"{storage_version}+"
    if same_format:
        run(con, "bi/checkpoint_working")
        shutil.copyfile(query(con, "bi/current_database")[0]["path"], path)
        run(con, "bi/attach_snapshot_copy", {"path": str(path)})
    else:
        run(con, "bi/attach_snapshot", {"path": str(path), "storage_version": storage_version})
    try:
        if not same_format:
            run(con, "bi/copy_to_snapshot", working=working)
        run(con, "bi/drop_internal_tables")
        pause_point("snapshot_half_written")
        run(con, "bi/checkpoint_snapshot")
    finally:
        run(con, "bi/detach_snapshot")
    Path(f"{path}.wal").unlink(missing_ok=True)
    _fsync(path)
    return path


def publish(con: duckdb.DuckDBPyConnection, config: Config, run_id: str,
            render_scorecards: Callable[[Path, Path | None], Path]) -> Path:
    """Publish this run's snapshot and scorecards together: both switch at once, or neither does.

    Each run is built in its own folder of the publication store; the published file and the
    scorecards folder are links through the store's `current` link, so one atomic rename of that
    link switches both. A kill or failure before the rename leaves both on the previous run; the
    next run removes what it left. `render_scorecards` gets the new scorecards folder and the live one (None before
    the first publication), whose kept periods it carries forward. Returns the new run's folder.
    """
    pause_point("before_publish")
    published = config.published_path
    store = outputs.claim(outputs.publication_store(config), config.file)
    live = (store / "current").resolve() if (store / "current").is_symlink() else None
    for left in store.iterdir():  # what runs killed before their switch left behind
        if left.is_symlink() and left.name.startswith(".current-"):
            left.unlink()
        elif left.is_dir() and not left.is_symlink() and left != live:
            shutil.rmtree(left, ignore_errors=True)
    generation = store / _folder_name(run_id)
    generation.mkdir()
    try:
        outputs.mark(generation, config.file)
        snapshot = write_snapshot(con, generation / published.name, config.warehouse.published_storage_version)
        if published.exists():  # keep the mode a BI administrator gave the snapshot
            os.chmod(snapshot, stat.S_IMODE(published.stat().st_mode))
        site = generation / "scorecards"
        site.mkdir()
        outputs.mark(site, config.file)
        render_scorecards(site, live / "scorecards" if live else None)
        _fsync(generation)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)  # a kill leaves it to the next run
        raise
    pause_point("before_rename")
    switch = store / f".current-{uuid.uuid4().hex}"
    switch.symlink_to(generation.name)
    os.replace(switch, store / "current")  # the switch: snapshot and scorecards together
    _fsync(store)
    for link, name in ((published, published.name), (config.scorecards_dir, "scorecards")):
        _link(link, outputs.publication_link(link, store, name))
    if live and live != generation:
        shutil.rmtree(live, ignore_errors=True)  # readers holding the old snapshot open keep reading it
    return generation


def _folder_name(run_id: str) -> str:
    return f"{dt.datetime.now():%Y%m%dT%H%M%S}-{run_id[:8]}"


def _link(path: Path, target: str) -> None:
    """Make `path` the link `target`; a link, an empty folder or a snapshot of this config there is replaced."""
    if path.is_symlink() and os.readlink(path) == target:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.{uuid.uuid4().hex}.link")
    fresh.symlink_to(target)
    if path.is_dir() and not path.is_symlink():
        # empty, or written by an earlier segprof for this config: output_problems() refused any other folder
        shutil.rmtree(path) if outputs.owner(path) else path.rmdir()
    os.replace(fresh, path)


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path, config_file: Path) -> list[str]:
    """Write the marts as Parquet under folder/<schema>.<table>/, partitioned by period_end where they have one."""
    written = []
    with outputs.replaced_folder(folder, config_file) as staging:
        for table in MART_TABLES:
            schema, name = table.split(".")
            columns = {c["column_name"] for c in query(con, "warehouse/table_columns", {"schema": schema, "table": name})}
            if "period_end" in columns:
                run(con, "bi/export_parquet", {"table": table, "path": str(staging / table)})
            else:
                (staging / table).mkdir()
                run(con, "bi/export_parquet_single", {"table": table, "path": str(staging / table / "data.parquet")})
            written.append(table)
    return written
