"""Loading configured sources into staging.transactions, quarantining what does not validate.

Every record of a source ends up accepted or rejected with a reason. A source's rows are
replaced in one DuckDB transaction, so a load that fails leaves what was there before intact.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.config import Config, Source
from pipelines.errors import shown, SourceError
from pipelines.warehouse.database import create_tables, query, Rows, run, scope, write_tables

CHUNK_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 1024 * 1024  # a first line longer than this is not a header: don't read a whole binary file
MAPPED_FIELDS = ("customer_id", "order_id", "order_date", "amount", "quantity", "channel", "region", "category", "unit_cost")


@dataclass(frozen=True)
class SourceLoad:
    source: str
    files: int
    records_read: int
    accepted: int
    rejected: int


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


def load_source(con: duckdb.DuckDBPyConnection, config: Config, source: Source, loaded_at: dt.datetime,
                shard: Shard | None = None) -> SourceLoad:
    """Read, validate and load one source (one shard's customers of it); replaces its earlier rows in one transaction."""
    files = config.source_files(source)
    run(con, "ingest/create_typed")
    run(con, "ingest/create_shown_macro")
    run(con, "ingest/create_money_problem_macro")
    if source.format == "parquet":
        _stage_parquet(con, files, source)  # one read over all files; DuckDB errors become SourceErrors there
    else:
        for path in files:
            try:
                _stage_text_file(con, path, source)
            except OSError as exc:
                raise SourceError(f"{_at(path, source)}: cannot read file: {exc.strerror or exc}") from exc
    if shard is not None:
        run(con, "ingest/keep_shard", {"shard": shard.index, "shards": shard.count})
    latest, label = (config.as_of_date, "the as-of date") if config.as_of_date else (loaded_at.date(), "today")
    run(con, "ingest/validate_records", {
        "has_order_id": source.columns.order_id is not None,
        "date_format": source.date_format,
        "date_format_zoned": bool(source.date_format and re.search(r"%[zZ]", source.date_format)),
        "timezone": source.timezone,
        "latest_date": latest,
        "latest_date_label": label,
        "max_amount": source.max_amount,
    })
    if source.columns.order_id is not None:
        run(con, "ingest/repeated_order_ids")
        run(con, "ingest/mark_repeated_order_ids")
    counts = query(con, "ingest/source_load_counts")[0]
    params = {"source": source.name, "loaded_at": loaded_at}
    write_tables(con, Rows("staging.transactions", "ingest/insert_transactions", params, scope("source", source.name)),
          Rows("staging.rejected_transactions", "ingest/insert_rejected_transactions", params, scope("source", source.name)))
    return SourceLoad(source.name, len(files), counts["records_read"], counts["accepted"], counts["rejected"])


def load_transactions(con: duckdb.DuckDBPyConnection, config: Config, loaded_at: dt.datetime | None = None,
                      shard: Shard | None = None) -> list[SourceLoad]:
    """Load every configured source. A failing source raises; sources loaded before it stay loaded."""
    loaded_at = loaded_at or dt.datetime.now().replace(microsecond=0)
    create_tables(con, "ingest/transactions", "ingest/rejected_transactions")
    return [load_source(con, config, source, loaded_at, shard) for source in config.sources]


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
    """Records in a source's files, counted independently of the load (lines, less headers; Parquet rows)."""
    files = config.source_files(source)
    if source.format == "parquet":
        return query(con, "ingest/count_parquet_rows", {"files": [str(f) for f in files]})[0]["records"]
    total = 0
    for path in files:
        lines, last = 0, b"\n"
        with open(path, "rb") as f:
            while block := f.read(CHUNK_BYTES):
                lines += block.count(b"\n")
                last = block[-1:]
        lines += last != b"\n"
        total += lines - (1 if source.header and lines else 0)
    return total
