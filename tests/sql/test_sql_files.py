"""Every file in sql/ is one parseable statement (or a table definition) and is used by the code: one test over all files."""

import re

import duckdb

from pipelines.warehouse.database import SQL_DIR
from tests.conftest import REPO

CODE = "\n".join(p.read_text() for p in (REPO / "pipelines").rglob("*.py"))


def _problem(path) -> str | None:
    name = str(path.relative_to(SQL_DIR).with_suffix(""))
    text = re.sub(r"\{\{\s*\w+\s*\}\}", "x", path.read_text())
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        return f"{name}: does not parse: {exc}"
    if not statements:
        return f"{name}: empty SQL file"
    if len(statements) > 1:  # only table definitions may hold several statements, and no parameters
        if "$" in text:
            return f"{name}: parameters in a multi-statement file are not bound"
        if not (statements[0].type.name in {"CREATE", "SELECT"} or "create" in text.lower()):
            return f"{name}: several statements that are not a table definition"
    # Used by name, or as a table whose definition, delete_ and insert_ statements one helper runs.
    table = path.stem.removeprefix("delete_").removeprefix("insert_")
    if f'"{name}"' not in CODE and f'"{table}"' not in CODE:
        return f"sql/{name}.sql is not used by any code"
    return None


def test_every_sql_file_parses_and_is_used():
    files = sorted(SQL_DIR.rglob("*.sql"))
    assert len(files) > 100
    assert [p for p in map(_problem, files) if p] == []
