"""Loading configured sources into staging.transactions, quarantining what does not validate.

Every record of a source ends up accepted or rejected with a reason. Loads are incremental by file: the
ledger meta.source_files says what each file held when it was read, and a run reads only new and changed
files, replacing exactly their rows (and removing the rows of files gone from the source). What a load
writes, it writes in one DuckDB transaction, so a load that fails leaves what was there before intact.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.warehouse import calendar
from pipelines.config import Config, Source
from pipelines.errors import SegprofError, SourceError, shown
from pipelines.warehouse.database import SQL_DIR, Rows, create_tables, query, replace_rows, run, scope, write_tables

CHUNK_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024  # a first line longer than this is not a header: don't read a whole binary file
EPOCH = dt.datetime(1970, 1, 1)  # modification times are kept in UTC, without a zone
MAPPED_FIELDS = ("customer_id", "order_id", "order_date", "amount", "quantity", "channel", "region", "category", "unit_cost")


# The statements that decide what is accepted: when one changes, every file is read again (settings_hash).
RULES = ("ingest/parse_text_lines", "ingest/type_text_fields", "ingest/type_parquet_fields", "ingest/create_money_problem_macro",
         "ingest/validate_records", "ingest/repeated_order_ids", "ingest/mark_repeated_order_ids",
         "ingest/insert_transactions", "ingest/insert_rejected_transactions")


@dataclass(frozen=True)
class SourceLoad:
    """What one run did with one source: `files` matched; records read, accepted and rejected by this run."""

    source: str
    files: int
    records_read: int
    accepted: int
    rejected: int
    files_read: int = 0
    files_unchanged: int = 0
    files_removed: int = 0


def iter_lines(path: Path, first_line: int = 1, chunk_bytes: int = CHUNK_BYTES) -> Iterator[pa.Table]:
    """The file's lines from `first_line` on, as Arrow chunks of (line_number, raw bytes without '\\n').

    Splitting is vectorised with NumPy over whole blocks; no Python loop per line.
    """
    line_no = 0
    carry = b""
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk_bytes)
            data = carry + block
            if not data:
                return
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # a line longer than the block: read on
                    carry = data
                    continue
                body, carry = data[:cut], data[cut:]
            else:
                body, carry = data, b""
            buf = np.frombuffer(body, dtype=np.uint8)
            newlines = np.flatnonzero(buf == 10)
            ends = newlines if body.endswith(b"\n") else np.append(newlines, len(body))
            starts = np.concatenate(([0], newlines[: len(ends) - 1] + 1))
            # Drop the '\n' bytes; the i-th line then starts i bytes earlier.
            content = buf[buf != 10] if len(newlines) else buf
            shift = np.arange(len(ends), dtype=np.int64)
            offsets = np.append(starts - shift, ends[-1] - shift[-1]).astype(np.int64)
            raw = pa.LargeBinaryArray.from_buffers(
                pa.large_binary(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(content.tobytes())]
            )
            numbers = np.arange(line_no + 1, line_no + 1 + len(ends), dtype=np.int64)
            line_no += len(ends)
            keep = numbers >= first_line
            if keep.any():
                yield pa.table({"line_number": numbers[keep], "raw": raw.filter(pa.array(keep))})


def _at(path: Path, source: Source) -> str:
    """Where a source problem is, for the start of a message."""
    return f"{shown(path, 500)}: source '{source.name}'"


def _header(path: Path, source: Source) -> list[str]:
    with open(path, "rb") as f:
        first = f.readline(MAX_HEADER_BYTES + 1)
    if not first:
        raise SourceError(f"{_at(path, source)}: file is empty")
    where = f"{_at(path, source)}: line 1 (header)"
    if len(first) > MAX_HEADER_BYTES:
        raise SourceError(f"{where}: longer than {MAX_HEADER_BYTES:,} bytes; is this a text file?")
    try:
        line = first.decode("utf-8-sig").rstrip("\r\n")  # -sig: a byte order mark is not part of the first name
    except UnicodeDecodeError:
        raise SourceError(f"{where}: invalid UTF-8; is this a binary or compressed file?") from None
    if "\x00" in line:
        raise SourceError(f"{where}: NUL bytes; is this a binary file?")
    if source.format == "text":
        return line.split()
    try:
        return [c.strip() for c in next(csv.reader([line], delimiter=source.delimiter))]
    except csv.Error as exc:
        raise SourceError(f"{where}: {exc}") from None


def _column_positions(path: Path, source: Source, names: list[str]) -> dict[str, int | None]:
    """1-based position of each mapped field's column; a mapped column missing is an error."""
    mapping = source.columns.model_dump()
    positions: dict[str, int | None] = {}
    for field in MAPPED_FIELDS:
        column = mapping[field]
        if column is None:
            positions[field] = None
        elif column in names:
            positions[field] = names.index(column) + 1
        else:
            raise SourceError(
                f"{_at(path, source)}: column '{shown(column)}' (mapped to {field}) is not in the file; "
                f"its columns are: {shown(', '.join(names), 200)}"
            )
    return positions


def _csv_field_pattern(delimiter: str) -> str:
    d = re.escape(delimiter)
    return f'("(?:[^"]|"")*"|[^{d}"]*){d}'


def _defaults(source: Source) -> dict:
    return {f"default_{k}": v for k, v in source.defaults.model_dump().items()}



def _stage_text_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source) -> None:
    names = _header(path, source) if source.header else list(source.names or [])
    positions = _column_positions(path, source, names)
    params = {
        "format": source.format,
        "delimiter": source.delimiter,
        "csv_field_pattern": _csv_field_pattern(source.delimiter),
        "expected_fields": len(names),
        **positions,
        **_defaults(source),
    }
    saw_records = False
    for chunk in iter_lines(path, first_line=2 if source.header else 1):
        saw_records = True
        con.register("_raw_lines", chunk.append_column("source_file", pa.array([str(path)] * chunk.num_rows)))
        run(con, "ingest/parse_text_lines", params)
        run(con, "ingest/type_text_fields", params)
        con.unregister("_raw_lines")
    if not saw_records:
        what = "has a header line but no records" if source.header else "is empty"
        raise SourceError(f"{_at(path, source)}: file {what}")


def _stage_parquet(con: duckdb.DuckDBPyConnection, files: list[Path], source: Source) -> None:
    file_list = [str(f) for f in files]
    try:
        described = query(con, "ingest/describe_parquet", {"files": file_list})
    except duckdb.Error as exc:
        raise SourceError(f"{file_list[0]}: source '{source.name}': cannot read Parquet: {exc}") from exc
    _column_positions(files[0], source, [row["column_name"] for row in described])
    mapping = source.columns.model_dump()
    params = {
        "files": file_list,
        "quantity_mapped": mapping["quantity"] is not None,
        **_defaults(source),
    }
    try:
        run(con, "ingest/type_parquet_fields", params, **mapping)
    except duckdb.Error as exc:
        raise SourceError(f"{file_list[0]}: source '{source.name}': cannot read Parquet: {exc}") from exc
    empty = query(con, "ingest/files_without_records", {"files": file_list})
    if empty:
        raise SourceError(f"{empty[0]['file']}: source '{source.name}': file has no rows")


@dataclass(frozen=True)
class Shard:
    """One customer-hash shard: index of count."""

    index: int
    count: int


@dataclass(frozen=True)
class FileFacts:
    """A source file as the ledger records it: size and modification time, and after reading, hash and record count."""

    path: Path
    size_bytes: int
    modified_at: dt.datetime
    content_hash: str | None = None
    records_in_file: int | None = None


def stat_file(path: Path) -> FileFacts:
    """Size and modification time (to the microsecond, as the ledger keeps it): no read."""
    st = path.stat()
    return FileFacts(path, st.st_size, EPOCH + dt.timedelta(microseconds=st.st_mtime_ns // 1000))


def read_file_facts(path: Path, source: Source) -> FileFacts:
    """One pass over the file: its SHA-256 and its records, counted apart from the load (lines less the header;
    Parquet: the row count in its footer)."""
    facts = stat_file(path)
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    with open(path, "rb") as f:
        while block := f.read(CHUNK_BYTES):
            digest.update(block)
            lines += block.count(b"\n")
            last = block[-1:]
    if source.format == "parquet":
        try:
            records = pq.ParquetFile(path).metadata.num_rows
        except (OSError, pa.ArrowException):
            records = 0  # not Parquet: the load says why
    else:
        lines += last != b"\n"
        records = lines - (1 if source.header and lines else 0)
    return FileFacts(path, facts.size_bytes, facts.modified_at, digest.hexdigest(), records)


def settings_hash(source: Source) -> str:
    """Digest of the source's settings (its path pattern aside) and of the validation statements."""
    settings = source.model_dump(mode="json", exclude={"path"})
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for name in RULES:
        digest.update((SQL_DIR / f"{name}.sql").read_bytes())
    return digest.hexdigest()


@dataclass
class Plan:
    """What a run does with a source's files: read these, keep those ledger rows, remove the rows of those."""

    read: list[FileFacts]
    kept: list[dict]
    removed: list[dict]
    full: bool  # every file read: the source's rows are replaced as a whole

    @property
    def writes(self) -> bool:
        return bool(self.read or self.removed) or any(row.get("_touched") for row in self.kept)


def _dates_moved(row: dict, latest: dt.date) -> bool:
    """The latest accepted date moved across one of the file's records since it was read."""
    if row["latest_date"] == latest:
        return False
    return row["later_records"] > 0 or (row["last_order_date"] is not None and row["last_order_date"] > latest)


def plan_source(con: duckdb.DuckDBPyConnection, config: Config, source: Source, latest: dt.date,
                full_refresh: bool = False) -> Plan:
    """Compare the source's files with the ledger: new files and files whose size or modification time changed
    and whose content hash differs are read; the rest are skipped; ledger files no longer matched are removed.

    A changed source setting (or validation rule) or `full_refresh` reads every file.
    """
    files = config.source_files(source)
    ledger = {row["source_file"]: row for row in query(con, "ingest/source_file_ledger", {"source": source.name})}
    present = {name: row for name, row in ledger.items() if row["removed_at"] is None}
    current = {str(path) for path in files}
    removed = [row for name, row in present.items() if name not in current]
    # Rows of files removed earlier stay as they are (a file that comes back is new).
    gone = [row for name, row in ledger.items() if row["removed_at"] is not None and name not in current]
    settings = settings_hash(source)
    if full_refresh or any(row["settings_hash"] != settings for row in present.values()):
        return Plan([stat_file(path) for path in files], gone, removed, full=True)
    read, kept = [], []
    for path in files:
        row, facts = present.get(str(path)), stat_file(path)
        if row is None or _dates_moved(row, latest):
            read.append(facts)
        elif (row["size_bytes"], row["modified_at"]) == (facts.size_bytes, facts.modified_at):
            kept.append(row)
        else:
            facts = read_file_facts(path, source)
            if facts.content_hash == row["content_hash"]:  # touched, not changed: note the new time, read nothing more
                kept.append({**row, "size_bytes": facts.size_bytes, "modified_at": facts.modified_at, "_touched": True})
            else:
                read.append(facts)
    return Plan(read, kept + gone, removed, full=len(read) == len(files))


def _stage(con: duckdb.DuckDBPyConnection, config: Config, source: Source, files: list[Path], latest: dt.date,
           latest_label: str, shard: Shard | None, touched: list[str] | None = None) -> None:
    """Read `files` of the source into _validated: every record, typed, with the reason it is rejected (or null).

    `touched` (an incremental load: the files read or removed) compares order ids with the other files' lines too.
    """
    run(con, "ingest/create_typed")
    run(con, "ingest/create_shown_macro")
    run(con, "ingest/create_money_problem_macro")
    if files and source.format == "parquet":
        _stage_parquet(con, files, source)  # one read over all files; DuckDB errors become SourceErrors there
    else:
        for path in files:
            try:
                _stage_text_file(con, path, source)
            except OSError as exc:
                raise SourceError(f"{_at(path, source)}: cannot read file: {exc.strerror or exc}") from exc
    if shard is not None:
        run(con, "ingest/keep_shard", {"shard": shard.index, "shards": shard.count})
    run(con, "ingest/validate_records", {
        "has_order_id": source.columns.order_id is not None,
        "date_format": source.date_format,
        "date_format_zoned": bool(source.date_format and re.search(r"%[zZ]", source.date_format)),
        "timezone": source.timezone,
        "latest_date": latest,
        "latest_date_label": latest_label,
        "max_amount": source.max_amount,
    })
    if source.columns.order_id is not None:
        run(con, "ingest/repeated_order_ids", {"kept_source": source.name if touched is not None else None,
                                               "files": touched or []})
        run(con, "ingest/mark_repeated_order_ids")


def _latest(config: Config, loaded_at: dt.datetime) -> tuple[dt.date, str]:
    return (config.as_of_date, "the as-of date") if config.as_of_date else (loaded_at.date(), "today")


def load_source(con: duckdb.DuckDBPyConnection, config: Config, source: Source, loaded_at: dt.datetime,
                shard: Shard | None = None, full_refresh: bool = False, run_id: str | None = None) -> SourceLoad:
    """Read, validate and load a source's new and changed files (every file: a shard's customers, or a full
    refresh); their rows, the removed files' rows and the ledger are replaced in one transaction."""
    latest, label = _latest(config, loaded_at)
    params = {"source": source.name, "loaded_at": loaded_at}
    if shard is not None:  # shards keep no ledger: every file, every time
        files = config.source_files(source)
        _stage(con, config, source, files, latest, label, shard)
        counts = query(con, "ingest/source_load_counts")[0]
        write_tables(con, Rows("staging.transactions", "ingest/insert_transactions", params, scope("source", source.name)),
                     Rows("staging.rejected_transactions", "ingest/insert_rejected_transactions", params, scope("source", source.name)))
        return SourceLoad(source.name, len(files), counts["records_read"], counts["accepted"], counts["rejected"], len(files))

    plan = plan_source(con, config, source, latest, full_refresh)
    files = len(plan.read) + sum(row["removed_at"] is None for row in plan.kept)
    if not plan.writes:
        return SourceLoad(source.name, files, 0, 0, 0, 0, len(plan.kept), 0)
    touched = [str(f.path) for f in plan.read] + [row["source_file"] for row in plan.removed]
    _stage(con, config, source, [f.path for f in plan.read], latest, label, None, None if plan.full else touched)
    if (not plan.full and source.columns.order_id is not None and touched
            and query(con, "ingest/order_id_collisions", {"source": source.name, "files": touched})[0]["collide"]):
        plan = plan_source(con, config, source, latest, full_refresh=True)
        _stage(con, config, source, [f.path for f in plan.read], latest, label, None)
    counts = query(con, "ingest/source_load_counts")[0]
    by_file = {row["source_file"]: row for row in query(con, "ingest/file_load_counts", {"latest_date": latest})}
    ledger = [*plan.kept, *({**row, "removed_at": loaded_at, "run_id": run_id} for row in plan.removed)]
    settings = settings_hash(source)
    for facts in plan.read:
        if facts.content_hash is None:
            facts = read_file_facts(facts.path, source)
        got = by_file.get(str(facts.path), {"records_read": 0, "accepted": 0, "rejected": 0, "last_order_date": None,
                                            "later_records": 0})
        ledger.append({
            "source": source.name, "source_file": str(facts.path), "size_bytes": facts.size_bytes,
            "modified_at": facts.modified_at, "content_hash": facts.content_hash, "records_in_file": facts.records_in_file,
            **{k: v for k, v in got.items() if k != "source_file"},
            "latest_date": latest, "settings_hash": settings, "loaded_at": loaded_at, "removed_at": None, "run_id": run_id,
        })
    for row in ledger:
        row.pop("_touched", None)
    con.register("_source_files", _ledger_frame(ledger).to_arrow())
    where = scope("source", source.name)
    if not plan.full:
        where = where.also("source_file", *touched)
    try:
        write_tables(con, Rows("staging.transactions", "ingest/insert_transactions", params, where),
                     Rows("staging.rejected_transactions", "ingest/insert_rejected_transactions", params, where),
                     Rows("meta.source_files", scope=scope("source", source.name), source="_source_files"))
    finally:
        con.unregister("_source_files")
    return SourceLoad(source.name, files, counts["records_read"], counts["accepted"], counts["rejected"],
                      len(plan.read), sum(row["removed_at"] is None for row in plan.kept), len(plan.removed))


LEDGER_SCHEMA = {
    "source": pl.String, "source_file": pl.String, "size_bytes": pl.Int64, "modified_at": pl.Datetime("us"),
    "content_hash": pl.String, "records_in_file": pl.Int64, "records_read": pl.Int64, "accepted": pl.Int64,
    "rejected": pl.Int64, "last_order_date": pl.Date, "later_records": pl.Int64, "latest_date": pl.Date,
    "settings_hash": pl.String, "loaded_at": pl.Datetime("us"), "removed_at": pl.Datetime("us"), "run_id": pl.String,
}


def _ledger_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=LEDGER_SCHEMA) if rows else pl.DataFrame(schema=LEDGER_SCHEMA)


def removed_files(con: duckdb.DuckDBPyConnection, run_id: str | None) -> list[dict]:
    """The files a run found gone from their source (their rows removed)."""
    return query(con, "ingest/removed_source_files", {"run_id": run_id})


def load_transactions(con: duckdb.DuckDBPyConnection, config: Config, loaded_at: dt.datetime | None = None,
                      shard: Shard | None = None, full_refresh: bool = False, run_id: str | None = None) -> list[SourceLoad]:
    """Load every configured source (new and changed files; all with `full_refresh`). A failing source raises;
    sources loaded before it stay loaded."""
    loaded_at = loaded_at or dt.datetime.now().replace(microsecond=0)
    create_tables(con, "ingest/transactions", "ingest/rejected_transactions", "ingest/source_files")
    return [load_source(con, config, source, loaded_at, shard, full_refresh, run_id) for source in config.sources]


def record_period_fingerprints(con: duckdb.DuckDBPyConnection, config: Config, run_id: str | None = None,
                               computed_at: dt.datetime | None = None) -> list[dt.date]:
    """Fingerprint every period's accepted transactions into meta.period_fingerprints and compare each with the last
    published run's; returns the first days of the closed periods whose inputs changed since."""
    create_tables(con, "ingest/period_fingerprints")
    try:
        dates = calendar.read(con, config)
    except SegprofError:  # no accepted transactions: nothing to fingerprint
        return []
    period = config.profit.period
    first = query(con, "ingest/first_fingerprinted_period")[0]["period_start"]
    starts = calendar.period_starts(min(dates.first_date, first or dates.first_date), dates.as_of, period)
    ends = [calendar.next_period_start(start, period) - dt.timedelta(days=1) for start in starts]
    run(con, "ingest/compare_period_fingerprints", {
        "period_starts": starts, "period_ends": ends, "as_of": dates.as_of, "run_id": run_id, "history_hash": config.history_hash(),
        "computed_at": computed_at or dt.datetime.now().replace(microsecond=0),
    })
    replace_rows(con, "meta.period_fingerprints", source="_period_fingerprints")
    return [row["period_start"] for row in query(con, "ingest/changed_periods")]


def build_customers(con: duckdb.DuckDBPyConnection, config: Config) -> int:
    """Rebuild staging.customers (and its attributes table); returns the customer count."""
    attrs = config.customer_attributes
    if attrs is None:
        run(con, "ingest/customer_attributes_empty")
    else:
        path = config.resolve(attrs.path)
        if not path.is_file():
            raise SourceError(f"{path}: customer attributes: file not found")
        try:
            run(con, "ingest/customer_attributes", {"path": str(path)}, customer_id=attrs.customer_id)
        except duckdb.Error as exc:
            raise SourceError(f"{path}: customer attributes: {exc}") from exc
    try:
        create_tables(con, "ingest/customers")
    except duckdb.ConstraintException as exc:  # the attributes file has a customer twice
        raise SourceError(f"{config.resolve(attrs.path)}: customer attributes: a customer_id appears more than once ({exc})") from exc
    for column in query(con, "warehouse/table_columns", {"schema": "staging", "table": "customer_attributes"})[1:]:
        run(con, "ingest/comment_customer_attribute", column=column["column_name"])
    return query(con, "ingest/customers_summary")[0]["customers"]


def count_records(con: duckdb.DuckDBPyConnection, config: Config, source: Source) -> int:
    """Records in a source's files, counted apart from the load (lines less headers; Parquet rows). A file whose
    size and modification time are still those in the ledger counts as the ledger says, counted when it was read:
    a run that reads no file does not read them for this either."""
    create_tables(con, "ingest/source_files")
    ledger = {row["source_file"]: row for row in query(con, "ingest/source_file_ledger", {"source": source.name})
              if row["removed_at"] is None}
    total = 0
    for path in config.source_files(source):
        row, facts = ledger.get(str(path)), stat_file(path)
        if row is not None and (row["size_bytes"], row["modified_at"]) == (facts.size_bytes, facts.modified_at):
            total += row["records_in_file"]
        else:
            total += read_file_facts(path, source).records_in_file
    return total
