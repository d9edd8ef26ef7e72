"""A warehouse made by an earlier segprof: the period-end key had three names (as_of_date, to_date / from_date);
the next run renames them in place, keeps every row and publishes the new names without recomputing anything. The
action lists had a primary key; the next run makes the table again without it, with its rows and comments."""

from __future__ import annotations

import contextlib
import io

import duckdb
import pytest

from pipelines import cli
from pipelines.warehouse.database import create_tables, drop_old_keys, query, rename_old_columns

# The columns as an earlier segprof named them (sql/warehouse/renamed_columns.sql), new name -> old name.
OLD_NAMES = {
    "clv.customer_rfm": {"period_end": "as_of_date"},
    "clv.customer_clv": {"period_end": "as_of_date"},
    "clv.model_runs": {"period_end": "as_of_date"},
    "clv.holdout_by_frequency": {"period_end": "as_of_date"},
    "clv.holdout_by_decile": {"period_end": "as_of_date"},
    "clv.repeat_purchase_tracking": {"period_end": "as_of_date"},
    "profit.customer_segments": {"period_end": "as_of_date"},
    "profit.at_risk_customers": {"period_end": "as_of_date"},
    "profit.segment_migration": {"period_end": "to_date", "start_date": "from_date"},
    "scorecards.segment_scorecard": {"period_end": "as_of_date"},
}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".")
    return [r["column_name"] for r in query(con, "warehouse/table_columns", {"schema": schema, "table": name})]


def _make_old(con: duckdb.DuckDBPyConnection) -> None:
    for table, renames in OLD_NAMES.items():
        for new, old in renames.items():
            con.execute(f"alter table {table} rename column {new} to {old}")


def test_the_old_names_are_renamed_in_place_with_their_rows_keys_and_comments(con):
    create_tables(con, "clv/customer_rfm", "clv/customer_clv", "clv/model_runs", "clv/holdout_by_frequency",
                  "clv/holdout_by_decile", "clv/repeat_purchase_tracking", "profit/customer_segments",
                  "profit/at_risk_customers", "profit/segment_migration", "scorecards/segment_scorecard")
    con.execute("insert into profit.segment_migration (from_segment, to_segment, start_date, period_end, customers, clv_moved, "
                "contribution_moved, costs_assumed) values ('core', 'vip', '2024-01-31', '2024-02-29', 3, 10, 5, false)")
    current = {table: _columns(con, table) for table in OLD_NAMES}
    _make_old(con)
    assert "to_date" in _columns(con, "profit.segment_migration")

    renamed = rename_old_columns(con)

    assert len(renamed) == 11 and "profit.segment_migration.to_date -> period_end" in renamed
    assert {table: _columns(con, table) for table in OLD_NAMES} == current  # same names, same order
    assert con.execute("select start_date::varchar, period_end::varchar, customers from profit.segment_migration").fetchall() == [
        ("2024-01-31", "2024-02-29", 3)]
    assert con.execute("select comment from duckdb_columns() where table_name = 'segment_migration' "
                       "and column_name = 'period_end'").fetchone()[0].startswith("Scoring date")
    key = con.execute("select constraint_column_names from duckdb_constraints() where table_name = 'segment_migration' "
                      "and constraint_type = 'PRIMARY KEY'").fetchone()[0]
    assert key == ["from_segment", "to_segment", "period_end"]
    assert rename_old_columns(con) == []  # a second run has nothing to rename


def test_the_old_key_of_the_action_lists_is_dropped_with_their_rows_and_comments(con):
    create_tables(con, "profit/at_risk_customers")
    con.execute("alter table profit.at_risk_customers add primary key (customer_id, period_end)")  # as an earlier segprof made it
    con.execute("insert into profit.at_risk_customers (customer_id, period_end, rank, segment, value_tier, p_alive, last_purchase, "
                "days_since_last_purchase, reason, clv_at_stake) values ('A', '2024-02-29', 1, 'vip', 'top', 0.4, '2024-01-10', 50, "
                "'overdue', 100)")
    columns = _columns(con, "profit.at_risk_customers")

    assert drop_old_keys(con) == ["profit.at_risk_customers"]

    assert not con.execute("select * from duckdb_constraints() where table_name = 'at_risk_customers' "
                           "and constraint_type = 'PRIMARY KEY'").fetchall()
    assert _columns(con, "profit.at_risk_customers") == columns
    assert con.execute("select customer_id, period_end::varchar, clv_at_stake from profit.at_risk_customers").fetchall() == [
        ("A", "2024-02-29", 100)]
    assert con.execute("select comment from duckdb_tables() where table_name = 'at_risk_customers'").fetchone()[0].startswith("Action lists")
    assert [t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()] == ["at_risk_customers"]
    assert drop_old_keys(con) == []  # a second run has nothing to drop


@pytest.mark.slow  # two whole runs on generated data
def test_a_warehouse_with_the_old_names_runs_on_restating_nothing_and_publishes_the_new_names(small):
    assert cli.main(["run", "--config", str(small)]) == 0
    working, published = small.parent / "w" / "work.duckdb", small.parent / "bi" / "published.duckdb"
    with duckdb.connect(str(working)) as con:
        before = {table: con.execute(f"select * exclude (run_id) from {table} order by all").fetchall()
                  if "run_id" in _columns(con, table) else con.execute(f"select * from {table} order by all").fetchall()
                  for table in OLD_NAMES}
        _make_old(con)

    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(["run", "--config", str(small)]) == 0

    assert "periods computed   0 of 36" in out.getvalue().splitlines()
    with duckdb.connect(str(published), read_only=True) as snap:
        for table, renames in OLD_NAMES.items():
            assert set(renames) <= set(_columns(snap, table)) and not set(renames.values()) & set(_columns(snap, table))
            rows = (snap.execute(f"select * exclude (run_id) from {table} order by all") if "run_id" in _columns(snap, table)
                    else snap.execute(f"select * from {table} order by all")).fetchall()
            assert str(rows) == str(before[table]), table  # as text: a NaN metric equals itself
