"""Reading the statements in sql/ and running them against DuckDB."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
_SLOT = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def quote_ident(name: str) -> str:
    """Quote an identifier that comes from config (a source column name) for DuckDB."""
    return '"' + name.replace('"', '""') + '"'


@cache
def _sql_text(name: str) -> str:
    path = SQL_DIR / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def read_sql(name: str, **identifiers: str | None) -> str:
    """The statement in sql/<name>.sql.

    Values are always bound as $named parameters. The only text substituted is a
    `{{ slot }}` for an identifier from config (quoted here) or `null` for an unmapped one.
    """
    text = _sql_text(name)
    slots = set(_SLOT.findall(text))
    if slots != set(identifiers):
        raise KeyError(f"sql/{name}.sql needs identifiers {sorted(slots)}, got {sorted(identifiers)}")
    return _SLOT.sub(lambda m: quote_ident(v) if (v := identifiers[m.group(1)]) else "null", text)


def _used(sql: str, params: dict | None) -> dict | None:
    """Only the parameters the statement names: callers may pass one dict to several statements."""
    if not params:
        return None
    used = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in params.items() if k in used} or None


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None, **identifiers):
    """Execute sql/<name>.sql."""
    sql = read_sql(name, **identifiers)
    return con.execute(sql, _used(sql, params))


def relation(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> duckdb.DuckDBPyRelation:
    """sql/<name>.sql as a lazy relation, for streaming large results (e.g. to_arrow_reader)."""
    sql = read_sql(name)
    return con.sql(sql, params=_used(sql, params))


def frame(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pl.DataFrame:
    """The rows of sql/<name>.sql as a Polars frame (through Arrow, no pandas)."""
    return pl.from_arrow(relation(con, name, params).to_arrow_table())


def query(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None, **identifiers) -> list[dict]:
    """Rows of sql/<name>.sql as dicts, fully fetched (DuckDB refuses new work on an unfinished result)."""
    cursor = run(con, name, params, **identifiers)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def create_tables(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Create tables from their definition files (sql/<layer>/<table>.sql: DDL and comments, no parameters)."""
    for name in names:
        con.execute(_sql_text(name))


_held: dict[str, int] = {}  # lock file -> how many holders in this process
_held_guard = threading.Lock()


@contextlib.contextmanager
def writer_lock(warehouse: Path) -> Iterator[None]:
    """One writer per warehouse, whatever starts the run (`segprof run`, the Dagster UI, a sensor, the Dagster CLI).

    A second writer waits, and says which process holds the lock. Re-entrant within a process:
    `segprof run` holds it for the whole run, and the run's warehouse resource takes it again.
    """
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    key = str(warehouse.with_name(warehouse.name + ".lock"))
    with _held_guard:
        if _held.get(key):
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    with open(key, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            print(f"segprof: waiting for the run that holds {key} ({holder}) to finish", file=sys.stderr, flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        lock.flush()
        with _held_guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_guard:
                _held.pop(key, None)
            fcntl.flock(lock, fcntl.LOCK_UN)
