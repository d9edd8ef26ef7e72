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
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
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


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[None]:
    """Frames from the config visible to the SQL by name (e.g. `_kpi_settings`) while the block runs."""
    for name, table in frames.items():
        con.register(name, table.to_arrow())
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)


@contextlib.contextmanager
def staged(con: duckdb.DuckDBPyConnection, table: str, name: str, params: dict | None = None) -> Iterator[None]:
    """The rows of sql/<name>.sql as the temporary table `table` while the block runs: a large result that several
    statements aggregate, computed once and kept in DuckDB instead of fetched."""
    sql = read_sql(name)
    con.execute(f"create or replace temp table {quote_ident(table)} as {sql}", _used(sql, params))
    try:
        yield
    finally:
        con.execute(f"drop table if exists temp.main.{quote_ident(table)}")


def create_tables(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Create tables from their definition files (sql/<layer>/<table>.sql: DDL and comments, no parameters)."""
    for name in names:
        con.execute(_sql_text(name))


def rename_old_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rename the columns a warehouse made by an earlier segprof still has under an old name, in place (the
    README's migration notes); returns them as `schema.table.old -> new`. The snapshot is a copy of the
    working warehouse, so it gets the new names when the run publishes."""
    renamed = []
    for r in query(con, "warehouse/renamed_columns"):
        run(con, "warehouse/rename_column", schema=r["schema_name"], table=r["table_name"], old=r["old_name"], new=r["new_name"])
        renamed.append(f"{r['schema_name']}.{r['table_name']}.{r['old_name']} -> {r['new_name']}")
    return renamed


def drop_old_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Drop the primary keys a warehouse made by an earlier segprof still has on tables that no longer declare one
    (sql/warehouse/dropped_keys.sql): each such table is made again from its definition file and gets its rows back,
    in one transaction (DuckDB cannot drop a key in place); returns the tables."""
    dropped = []
    for r in query(con, "warehouse/dropped_keys"):
        names = {"schema": r["schema_name"], "table": r["table_name"], "aside": f"{r['table_name']}_keyed"}
        con.begin()
        try:
            run(con, "warehouse/set_table_aside", **names)
            create_tables(con, f"{r['schema_name']}/{r['table_name']}")
            run(con, "warehouse/refill_table", **names)
            run(con, "warehouse/drop_set_aside", schema=names["schema"], aside=names["aside"])
            con.commit()
        except BaseException:
            con.rollback()
            raise
        dropped.append(f"{r['schema_name']}.{r['table_name']}")
    return dropped


@dataclass(frozen=True)
class Scope:
    """Which rows of a table a write replaces: all of them, or those whose `column` is in `values` (a date, a
    partition), and whose `within` column (when set) is in its values too (one source's files)."""

    column: str | None = None
    values: tuple = ()
    within: tuple[str, tuple] | None = None

    def where(self) -> tuple[str, dict]:
        if self.column is None:
            return "", {}
        where = f" where {quote_ident(self.column)} in (select unnest($_scope))"
        if self.within is None:
            return where, {"_scope": list(self.values)}
        column, values = self.within
        return (f"{where} and {quote_ident(column)} in (select unnest($_within))",
                {"_scope": list(self.values), "_within": list(values)})

    def also(self, column: str, *values) -> Scope:
        """The rows of this scope whose `column` is also one of `values`: `scope("source", name).also("source_file", *files)`."""
        return Scope(self.column, self.values, (column, tuple(values)))


ALL = Scope()


def scope(column: str, *values) -> Scope:
    """The rows whose `column` is one of `values`: `scope("period_end", *dates)`, `scope("source", name)`."""
    return Scope(column, tuple(values))


@dataclass(frozen=True)
class Rows:
    """New rows for `table`: the select in sql/<sql>.sql (bound to params), or every row of the relation `source`."""

    table: str
    sql: str | None = None
    params: dict | None = None
    scope: Scope = ALL
    source: str | None = None
    identifiers: dict = field(default_factory=dict)
    partial: bool = False  # columns the rows do not name are null (a registry row without some metrics)

    def select(self) -> tuple[str, dict | None]:
        if self.source is not None:
            return "select * from query_table($_source)", {"_source": self.source}
        text = read_sql(self.sql, **self.identifiers)
        return text, _used(text, self.params)


def _columns(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None) -> list[str]:
    return [row[0] for row in con.execute(f"describe {sql}", params).fetchall()]


def write_tables(con: duckdb.DuckDBPyConnection, *writes: Rows) -> None:
    """The one way to write a table: each write's scope deleted and its rows inserted by name, all in one transaction.

    A select must name exactly the table's columns (a missing one would silently be null); on any
    error every write is rolled back and the tables keep their old rows.
    """
    planned = []
    for rows in writes:
        sql, params = rows.select()
        table_columns = _columns(con, f"select * from {rows.table}", None)
        columns = _columns(con, sql, params)
        missing_allowed = rows.partial and set(columns) <= set(table_columns)
        if sorted(columns) != sorted(table_columns) and not missing_allowed:
            missing, extra = sorted(set(table_columns) - set(columns)), sorted(set(columns) - set(table_columns))
            raise KeyError(f"rows for {rows.table} ({rows.sql or rows.source}): missing columns {missing}, unknown columns {extra}")
        planned.append((rows, sql, params))
    con.begin()
    try:
        for rows, sql, params in planned:
            where, scope_params = rows.scope.where()
            con.execute(f"delete from {rows.table}{where}", scope_params or None)
            con.execute(f"insert into {rows.table} by name {sql}", params)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def stage_rows(con: duckdb.DuckDBPyConnection, staged: str, like: str, selects: list[tuple[str, dict]]) -> None:
    """A temporary work table `staged` with the columns of the table `like`, filled by name with the rows of each
    (sql/<name>.sql, params) in turn: for a write too large for one statement, which write_tables then makes from it."""
    con.execute(f"create or replace temp table {staged} as select * from {like} limit 0")
    for name, params in selects:
        sql = read_sql(name)
        con.execute(f"insert into {staged} by name {sql}", _used(sql, params))


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, sql: str | None = None, params: dict | None = None,
                 scope: Scope = ALL, source: str | None = None) -> None:
    """Replace the rows of `table` in `scope` with those of sql/<sql>.sql (or the relation `source`), in one transaction."""
    write_tables(con, Rows(table, sql, params, scope, source))


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
