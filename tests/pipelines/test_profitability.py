"""The profitability layer on CDNOW with the demo's stated cost assumptions."""

from decimal import Decimal

import duckdb

from pipelines.warehouse.database import query
from tests.conftest import every_date


def test_all_profit_tables_are_filled(cdnow_demo):
    con, _ = cdnow_demo
    tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'profit' order by 1").fetchall()]
    assert tables == ["at_risk_customers", "customer_profit", "customer_segments", "segment_contribution_bridge",
                      "segment_dimension_profit", "segment_equity_bridge", "segment_migration", "segment_profitability",
                      "whale_curve", "whale_curve_summary"]
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
        "select segment, count(*) from profit.customer_segments where period_end = '1998-06-30' group by 1").fetchall())
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
                    "('a', date '2024-06-30')) t(customer_id, period_end);"
                    "create table profit.customer_segments as select * from (values ('a', date '2024-03-31', 'vip'), "
                    "('a', date '2024-06-30', 'vip'), ('a', date '2024-06-30', 'core')) t(customer_id, period_end, segment)")
        bad = query(con, "profit/check_customer_segments", every_date(con))
    assert [(r["period_end"].isoformat(), r["missing"], r["duplicated"]) for r in bad] == [
        ("2024-03-31", 1, 0), ("2024-06-30", 0, 1)]


def test_the_vip_equity_bridge_reconciles_on_cdnow(cdnow_demo):
    """June 1998 (BG/NBD + Gamma-Gamma, CLV in profit terms): vip starts at $157,806.71 with 1,148 customers (May's
    scores, from the 1998-03-31 refit); 3 lapse, 124 move out, 124 move in, the 1,021 who stay lose $3,437.87 of CLV
    (part of it the June refit); it ends at the segment's equity, $155,163.61, to the cent."""
    con, _ = cdnow_demo
    assert query(con, "profit/check_segment_equity_bridge", every_date(con)) == []
    row = con.execute("select start_customers, start_equity, acquired, lapsed_customers, lapsed, migrated_out_customers, "
                      "migrated_out, migrated_in_customers, migrated_in, stayers, value_change, end_equity "
                      "from profit.segment_equity_bridge where segment = 'vip' and period_start = '1998-06-01'").fetchone()
    D = Decimal
    assert row == (1_148, D("157806.71"), D("0.00"), 3, D("759.97"), 124, D("7771.11"), 124, D("9325.85"), 1_021,
                   D("-3437.87"), D("155163.61"))
    assert row[1] + row[2] - row[4] - row[6] + row[8] + row[10] == row[11]


def test_cdnow_vip_retention_counts_everyone_who_left(cdnow_demo):
    """127 of June's 1,148 vip customers left the segment (124 to core, 3 lapsed): 88.9 %, where a lapse-only
    definition would say 99.7 %."""
    con, _ = cdnow_demo
    row = con.execute("select prior_customers, lost_customers, retained_customers, round(retention_rate, 4), repeat_customers "
                      "from profit.segment_profitability where segment = 'vip' and period_start = '1998-06-01'").fetchone()
    assert row == (1_148, 3, 1_021, 0.8894, 441)


def test_cdnow_action_lists(cdnow_demo):
    """Every managed segment has a list ranked from 1, nobody who bought in the last 30 days is on any list, and
    the lists of every period end are kept."""
    con, _ = cdnow_demo
    lists = con.execute("select segment, count(*), min(rank), max(rank), min(days_since_last_purchase) "
                        "from profit.at_risk_customers where period_end = '1998-06-30' group by 1 order by 1").fetchall()
    assert [(s, lo, hi == n) for s, n, lo, hi, _ in lists] == [("core", 1, True), ("occasional", 1, True), ("vip", 1, True)]
    assert min(r[4] for r in lists) > 30
    assert con.execute("select count(distinct period_end) from profit.at_risk_customers").fetchone()[0] == 17
    top = con.execute("select customer_id, expected_loss, suggested_action from profit.at_risk_customers "
                      "where segment = 'vip' and period_end = '1998-06-30' and rank = 1").fetchone()
    assert top == ("20917", Decimal("408.65"), "service call")
    save = con.execute("select value from scorecards.segment_scorecard where segment = 'vip' and kpi = 'save_rate' "
                       "and period_end = '1998-06-30'").fetchone()[0]
    assert save == 48 / 159  # of May's 159 flagged vip customers, 48 bought in June


def test_the_vip_contribution_bridge_reconciles_on_cdnow(cdnow_demo):
    """June 1998 against May: vip's contribution rises from $17,136.53 to $18,358.05. Two more active customers
    (563 -> 565) add $67.73, more revenue per active customer $1,228.13; the margin rate is the assumed 45 % both
    months (+$0.01 from cents rounded per line), cost to serve takes $75.25, marketing gives back $0.90. Against June
    1997 ($27,021.40): 266 fewer active customers (831 -> 565) cost $9,540.92. June is scored by its own refit, so its
    end is the figure of a single fit at the as-of date; May's and June 1997's members come from the refits on or
    before them (docs/history.md), so the bridges start from those periods' own segments."""
    con, _ = cdnow_demo
    assert query(con, "profit/check_segment_contribution_bridge") == []
    rows = con.execute("select basis, base_contribution, customer_count_effect, revenue_per_customer_effect, margin_effect, "
                       "cost_to_serve_effect, returns_effect, marketing_effect, contribution, base_active_customers "
                       "from profit.segment_contribution_bridge where segment = 'vip' and period_start = '1998-06-01' "
                       "order by basis").fetchall()
    D = Decimal
    assert rows == [
        ("prior_period", D("17136.53"), D("67.73"), D("1228.13"), D("0.01"), D("-75.25"), D("0.00"), D("0.90"), D("18358.05"), 563),
        ("year_ago", D("27021.40"), D("-9540.92"), D("96.21"), D("0.61"), D("771.75"), D("0.00"), D("9.00"), D("18358.05"), 831),
    ]
    first_year = con.execute("select count(*) from profit.segment_contribution_bridge "
                             "where basis = 'year_ago' and period_start < '1998-01-01'").fetchone()[0]
    assert first_year == 0  # the data starts in January 1997: no year-ago bridge before January 1998


def test_cdnow_has_no_dimensions_to_split_by(cdnow_demo):
    """CDNOW's channel and region are the config's defaults and its category one constant: one value per dimension,
    which adds up to the segment P&L; the page says so instead of showing a one-row table."""
    con, outputs = cdnow_demo
    assert query(con, "profit/check_segment_dimension_profit", every_date(con)) == []
    values = con.execute("select dimension, count(distinct value) from profit.segment_dimension_profit group by 1 order by 1").fetchall()
    assert values == [("category", 1), ("channel", 1), ("region", 1)]
    index = outputs[0][-1].split()[-1]
    from pathlib import Path

    html = (Path(index).parent / "segment-vip.html").read_text(encoding="utf-8")
    assert 'data-dimensions="none"' in html and 'data-table="dimensions"' not in html
