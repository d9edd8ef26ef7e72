"""The table writer: a scope replaced in one transaction, by name, every write rolled back together on failure."""

import datetime as dt

import duckdb
import pytest

from pipelines.warehouse import database
from pipelines.warehouse.database import replace_rows, Rows, scope, write_tables


@pytest.fixture
def con(monkeypatch, tmp_path):
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "rows.sql").write_text("select $day::date as day, $value as value, 'x' as label")
    (tmp_path / "t" / "wrong.sql").write_text("select $day::date as day, $value as amount")
    monkeypatch.setattr(database, "SQL_DIR", tmp_path)
    database._sql_text.cache_clear()
    with duckdb.connect() as con:
        con.execute("create table a (label varchar, day date, value integer)")
        con.execute("create table b (label varchar, day date, value integer)")
        con.execute("insert into a values ('old', '2024-01-01', 1), ('old', '2024-01-02', 2)")
        yield con
    database._sql_text.cache_clear()


def test_a_scope_is_replaced_and_the_rest_kept(con):
    replace_rows(con, "a", "t/rows", {"day": "2024-01-02", "value": 5}, scope("day", dt.date(2024, 1, 2)))
    replace_rows(con, "a", "t/rows", {"day": "2024-01-02", "value": 5}, scope("day", dt.date(2024, 1, 2)))  # idempotent
    assert con.execute("select label, day::varchar, value from a order by day").fetchall() == [
        ("old", "2024-01-01", 1), ("x", "2024-01-02", 5)]


def test_without_a_scope_every_row_is_replaced_by_name(con):
    replace_rows(con, "a", "t/rows", {"day": "2024-03-01", "value": 7})
    assert con.execute("select label, value from a").fetchall() == [("x", 7)]


def test_rows_that_do_not_name_the_tables_columns_are_refused(con):
    with pytest.raises(KeyError, match=r"missing columns \['label', 'value'\], unknown columns \['amount'\]"):
        replace_rows(con, "a", "t/wrong", {"day": "2024-03-01", "value": 7})
    assert con.execute("select count(*) from a").fetchone()[0] == 2


def test_a_failing_write_rolls_back_every_write(con):
    con.execute("create table b_strict (label varchar, day date, value integer check (value < 0))")
    with pytest.raises(duckdb.ConstraintException):
        write_tables(con, Rows("a", "t/rows", {"day": "2024-03-01", "value": 7}),
              Rows("b_strict", "t/rows", {"day": "2024-03-01", "value": 7}))
    assert con.execute("select count(*) from a").fetchone()[0] == 2


def test_a_relation_can_be_the_source(con):
    con.execute("create temp table staged as select 'y' as label, date '2024-05-01' as day, 3 as value")
    replace_rows(con, "b", source="staged")
    assert con.execute("select * from b").fetchall() == con.execute("select * from staged").fetchall()
