"""Every file in sql/ is one parseable statement (or a table definition) and is used by the code."""

import re

import duckdb
import pytest

from pipelines.warehouse import SQL_DIR
from tests.conftest import REPO

SQL_FILES = sorted(SQL_DIR.rglob("*.sql"))
CODE = "\n".join(p.read_text() for p in (REPO / "pipelines").rglob("*.py"))


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: str(p.relative_to(SQL_DIR)))
def test_sql_file_parses_and_is_used(path):
    name = str(path.relative_to(SQL_DIR).with_suffix(""))
    text = re.sub(r"\{\{\s*\w+\s*\}\}", "x", path.read_text())
    statements = duckdb.extract_statements(text)
    assert statements, "empty SQL file"
    if len(statements) > 1:  # only table definitions may hold several statements, and no parameters
        assert "$" not in text, f"{name}: parameters in a multi-statement file are not bound"
        assert statements[0].type.name in {"CREATE", "SELECT"} or "create" in text.lower()
    # Used by name, or as a table whose definition, delete_ and insert_ statements one helper runs.
    table = path.stem.removeprefix("delete_").removeprefix("insert_")
    assert f'"{name}"' in CODE or f'"{table}"' in CODE, f"sql/{name}.sql is not used by any code"
