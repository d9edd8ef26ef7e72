"""The profitability layer on CDNOW with the demo's stated cost assumptions."""

from decimal import Decimal

import duckdb

from pipelines.warehouse import query


def test_all_profit_tables_are_filled(cdnow_demo):
    con, _ = cdnow_demo
    tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'profit' order by 1").fetchall()]
    assert tables == ["at_risk_customers", "customer_profit", "customer_segments", "segment_equity_bridge",
                      "segment_migration", "segment_profitability", "whale_curve", "whale_curve_summary"]
    counts = {t: con.execute(f"select count(*) from profit.{t}").fetchone()[0] for t in tables}  # exact, not an estimate
    assert all(counts[t] > 0 for t in tables), counts
    assert counts["customer_segments"] == con.execute("select count(*) from clv.customer_clv").fetchone()[0]


def test_segment_pnl_adds_up_to_the_ledger(cdnow_demo):
    con, _ = cdnow_demo
    ledger, segments = con.execute(
        "select (select sum(amount) filter (where amount > 0) from staging.transactions), "
        "(select sum(revenue) from profit.segment_profitability)").fetchall()[0]
    assert ledger == segments == Decimal("2500315.63")


def test_every_customer_in_one_segment_at_the_as_of_date(cdnow_demo):
    con, _ = cdnow_demo
    rows = dict(con.execute(
        "select segment, count(*) from profit.customer_segments where as_of_date = '1998-06-30' group by 1").fetchall())
    assert sum(rows.values()) == 23_570
    assert set(rows) == {"vip", "core", "occasional", "lapsed"}


def test_costs_are_marked_as_assumed(cdnow_demo):
    con, _ = cdnow_demo
    flags = con.execute("select distinct costs_assumed from profit.segment_profitability").fetchall()
    assert flags == [(True,)]


def test_segment_check_finds_missing_and_duplicated_customers():
    with duckdb.connect() as con:
        con.execute("create schema clv; create schema profit;"
                    "create table clv.customer_clv as select * from (values ('a', date '2024-03-31'), ('b', date '2024-03-31'), "
                    "('a', date '2024-06-30')) t(customer_id, as_of_date);"
                    "create table profit.customer_segments as select * from (values ('a', date '2024-03-31', 'vip'), "
                    "('a', date '2024-06-30', 'vip'), ('a', date '2024-06-30', 'core')) t(customer_id, as_of_date, segment)")
        bad = query(con, "profit/check_customer_segments")
    assert [(r["as_of_date"].isoformat(), r["missing"], r["duplicated"]) for r in bad] == [
        ("2024-03-31", 1, 0), ("2024-06-30", 0, 1)]
