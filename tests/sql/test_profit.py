"""The profit tables on a small hand-computed example: every figure below was worked out by hand.

Customers (as of 2024-02-29, monthly periods):
  A  2024-01-05 web   books 100.00 | 2024-02-10 web music 50.00 | 2024-02-15 return -20.00
  B  2024-01-20 store music  40.00
  C  2024-02-03 web   books  10.00
Costs: cogs 50 % (books 40 %); per order 2.00 (store 3.00); per line 0.50; 1.00 per return;
marketing 0.25 per customer per month for 2 months from a purchase; overhead 10.00 a month by revenue.
CLV (hand-set): Jan: A gold 100, B bronze 10. Feb: A gold 90 (p_alive 0.9 -> 0.6), B inactive 2, C bronze 5.
"""

from decimal import Decimal as D

import duckdb

from pipelines.warehouse import calendar, profit_tables
from pipelines.warehouse.database import query
from tests.conftest import every_date

def test_customer_profit(hand_warehouse):
    con, _ = hand_warehouse
    rows = con.execute(
        "select customer_id, period_start::varchar, revenue, cogs, cost_to_serve, refunds, return_handling, returns_cost, "
        "marketing_cost, contribution, overhead_cost, profit_after_overhead from profit.customer_profit order by 2, 1").fetchall()
    assert rows == [
        ("A", "2024-01-01", D("100.00"), D("40.00"), D("2.50"), D("0.00"), D("0.00"), D("0.00"), D("0.25"), D("57.25"), D("7.14"), D("50.11")),
        ("B", "2024-01-01", D("40.00"), D("20.00"), D("3.50"), D("0.00"), D("0.00"), D("0.00"), D("0.25"), D("16.25"), D("2.86"), D("13.39")),
        ("A", "2024-02-01", D("50.00"), D("25.00"), D("2.50"), D("20.00"), D("1.00"), D("21.00"), D("0.25"), D("1.25"), D("8.33"), D("-7.08")),
        ("B", "2024-02-01", D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("0.25"), D("-0.25"), D("0.00"), D("-0.25")),
        ("C", "2024-02-01", D("10.00"), D("4.00"), D("2.50"), D("0.00"), D("0.00"), D("0.00"), D("0.25"), D("3.25"), D("1.67"), D("1.58")),
    ]


def test_segments(hand_warehouse):
    con, _ = hand_warehouse
    rows = con.execute("select customer_id, period_end::varchar, segment from profit.customer_segments order by 2, 1").fetchall()
    assert rows == [("A", "2024-01-31", "vip"), ("B", "2024-01-31", "others"),
                    ("A", "2024-02-29", "vip"), ("B", "2024-02-29", "lapsed"), ("C", "2024-02-29", "others")]


def test_segment_profitability(hand_warehouse):
    con, _ = hand_warehouse
    rows = con.execute(
        "select segment, period_start::varchar, customers, active_customers, new_customers, prior_customers, lost_customers, "
        "retention_rate, revenue, contribution, contribution_per_customer, round(share_of_contribution, 6), customer_equity "
        "from profit.segment_profitability order by 2, 1").fetchall()
    assert rows == [
        ("others", "2024-01-01", 1, 1, 1, 0, 0, None, D("40.00"), D("16.25"), D("16.25"), round(16.25 / 73.5, 6), D("10.00")),
        ("vip", "2024-01-01", 1, 1, 1, 0, 0, None, D("100.00"), D("57.25"), D("57.25"), round(57.25 / 73.5, 6), D("100.00")),
        ("lapsed", "2024-02-01", 1, 0, 0, 0, 0, None, D("0.00"), D("-0.25"), D("-0.25"), round(-0.25 / 4.25, 6), D("2.00")),
        ("others", "2024-02-01", 1, 1, 1, 1, 1, 0.0, D("10.00"), D("3.25"), D("3.25"), round(3.25 / 4.25, 6), D("5.00")),
        ("vip", "2024-02-01", 1, 1, 0, 1, 0, 1.0, D("50.00"), D("1.25"), D("1.25"), round(1.25 / 4.25, 6), D("90.00")),
    ]


def test_segment_migration(hand_warehouse):
    con, _ = hand_warehouse
    rows = con.execute("select from_segment, to_segment, period_end::varchar, customers, clv_moved, contribution_moved "
                       "from profit.segment_migration order by 3, 1, 2").fetchall()
    assert rows == [
        ("new", "others", "2024-01-31", 1, D("10.00"), D("16.25")),
        ("new", "vip", "2024-01-31", 1, D("100.00"), D("57.25")),
        ("new", "others", "2024-02-29", 1, D("5.00"), D("3.25")),
        ("others", "lapsed", "2024-02-29", 1, D("2.00"), D("-0.25")),
        ("vip", "vip", "2024-02-29", 1, D("90.00"), D("1.25")),
    ]
    assert query(con, "profit/check_segment_migration", every_date(con)) == []


def test_whale_curve(hand_warehouse):
    con, _ = hand_warehouse
    summary = con.execute(
        "select customers, total_contribution, peak_contribution, peak_share, customers_for_all_profit, share_for_all_profit, "
        "unprofitable_customers, unprofitable_share, unprofitable_cost from profit.whale_curve_summary "
        "where scope = 'all' and window_name = 'period' and period_start = '2024-02-01'").fetchall()
    assert summary == [(3, D("4.25"), D("4.50"), 4.5 / 4.25, 2, 2 / 3, 1, 1 / 3, D("0.25"))]
    points = con.execute(
        "select customer_share, customers, cumulative_contribution from profit.whale_curve "
        "where scope = 'all' and window_name = 'period' and period_start = '2024-02-01' order by 1").fetchall()
    assert points == [(0.0, 0, D("0.00")), (0.34, 1, D("3.25")), (0.67, 2, D("4.50")), (1.0, 3, D("4.25"))]


def test_at_risk(hand_warehouse):
    con, _ = hand_warehouse
    rows = con.execute("select customer_id, rank, segment, round(p_alive_drop, 6), reason, clv_at_stake, days_since_last_purchase "
                       "from profit.at_risk_customers").fetchall()
    assert rows == [("A", 1, "vip", 0.3, "p_alive drop", D("100.00"), 19)]
    assert query(con, "profit/check_at_risk_customers", every_date(con)) == []
    con.execute("insert into profit.at_risk_customers select * from profit.at_risk_customers")  # A listed twice
    assert [(r["segment"], r["customers"], r["repeated_customers"]) for r in
            query(con, "profit/check_at_risk_customers", every_date(con))] == [("vip", 2, 1)]


def test_reconciliation_passes_and_fails_on_one_corrupted_row(hand_warehouse):
    con, cfg = hand_warehouse
    as_of = calendar.read(con, cfg).as_of
    assert profit_tables.reconcile(con, cfg, as_of, "profit/ledger", "profit/customer_profit_by_period",
                            ["revenue", "refunds", "net_amount"]).is_empty()
    assert profit_tables.reconcile(con, cfg, as_of, "profit/customer_profit_by_period", "profit/segment_profitability_by_period",
                            ["revenue", "contribution"]).is_empty()
    con.execute("update profit.customer_profit set revenue = revenue + 0.01 where customer_id = 'C'")
    bad = profit_tables.reconcile(con, cfg, as_of, "profit/ledger", "profit/customer_profit_by_period", ["revenue"])
    assert bad["period_start"].cast(str).to_list() == ["2024-02-01"]
    con.execute("update profit.segment_profitability set contribution = contribution - 1 where segment = 'vip' and period_start = '2024-01-01'")
    bad = profit_tables.reconcile(con, cfg, as_of, "profit/customer_profit_by_period", "profit/segment_profitability_by_period", ["contribution"])
    assert bad["period_start"].cast(str).to_list() == ["2024-01-01"]


def test_segment_equity_bridge(hand_warehouse):
    """January: everyone acquired. February: A stays in vip and loses 10 of CLV; B lapses out of others (10 at the
    start) into lapsed (2 at the end); C is acquired by others (5)."""
    con, _ = hand_warehouse
    rows = con.execute(
        "select segment, period_start::varchar, start_date::varchar, start_equity, acquired, lapsed, migrated_out, migrated_in, "
        "value_change, end_equity, start_customers, acquired_customers, lapsed_customers, migrated_in_customers, stayers, "
        "end_customers from profit.segment_equity_bridge order by 2, 1").fetchall()
    z = D("0.00")
    assert rows == [
        ("others", "2024-01-01", None, z, D("10.00"), z, z, z, z, D("10.00"), 0, 1, 0, 0, 0, 1),
        ("vip", "2024-01-01", None, z, D("100.00"), z, z, z, z, D("100.00"), 0, 1, 0, 0, 0, 1),
        ("lapsed", "2024-02-01", "2024-01-31", z, z, z, z, D("2.00"), z, D("2.00"), 0, 0, 0, 1, 0, 1),
        ("others", "2024-02-01", "2024-01-31", D("10.00"), D("5.00"), D("10.00"), z, z, z, D("5.00"), 1, 1, 1, 0, 0, 1),
        ("vip", "2024-02-01", "2024-01-31", D("100.00"), z, z, z, z, D("-10.00"), D("90.00"), 1, 0, 0, 0, 1, 1),
    ]
    assert query(con, "profit/check_segment_equity_bridge", every_date(con)) == []


def test_the_bridge_check_finds_a_cent_out(hand_warehouse):
    con, _ = hand_warehouse
    con.execute("update profit.segment_equity_bridge set value_change = value_change + 0.01 "
                "where segment = 'vip' and period_start = '2024-02-01'")
    con.execute("update profit.segment_equity_bridge set start_equity = start_equity - 1, acquired = acquired + 1 "
                "where segment = 'others' and period_start = '2024-02-01'")  # flows still add up; the start does not
    bad = query(con, "profit/check_segment_equity_bridge", every_date(con))
    assert [(r["segment"], str(r["period_start"])) for r in bad] == [("others", "2024-02-01"), ("vip", "2024-02-01")]


def test_segment_contribution_bridge(hand_warehouse):
    """February against January. vip (A): revenue 100 -> 50 with one active customer both months: revenue per active
    customer -50 at January's 60 % margin is -30; the margin rate falls to 50 % (music at 0.5 instead of books at 0.4):
    -5 on 50; the return costs 21 (refund 20 + handling 1): 57.25 - 30 - 5 - 21 = 1.25. others: B (40 at 50 %, store)
    is replaced by C (10 at 60 %, web): -15 revenue per customer, +1 margin, +1 cost to serve: 16.25 -> 3.25.
    lapsed: nothing before; B's marketing 0.25 in February. No year-ago bridge: the data has two months."""
    con, _ = hand_warehouse
    rows = con.execute(
        "select segment, basis, base_period_start::varchar, base_contribution, customer_count_effect, revenue_per_customer_effect, "
        "margin_effect, cost_to_serve_effect, returns_effect, marketing_effect, contribution "
        "from profit.segment_contribution_bridge order by 1, 2").fetchall()
    z = D("0.00")
    assert rows == [
        ("lapsed", "prior_period", "2024-01-01", z, z, z, z, z, z, D("-0.25"), D("-0.25")),
        ("others", "prior_period", "2024-01-01", D("16.25"), z, D("-15.00"), D("1.00"), D("1.00"), z, z, D("3.25")),
        ("vip", "prior_period", "2024-01-01", D("57.25"), z, D("-30.00"), D("-5.00"), z, D("-21.00"), z, D("1.25")),
    ]
    assert query(con, "profit/check_segment_contribution_bridge") == []


def test_the_contribution_bridge_check_finds_a_cent_out_and_a_wrong_start(hand_warehouse):
    con, _ = hand_warehouse
    con.execute("update profit.segment_contribution_bridge set margin_effect = margin_effect + 0.01 where segment = 'vip'")
    con.execute("update profit.segment_contribution_bridge set base_contribution = base_contribution - 1, "
                "customer_count_effect = customer_count_effect + 1 where segment = 'others'")  # adds up; the start does not
    bad = query(con, "profit/check_segment_contribution_bridge")
    assert [(r["segment"], r["basis"]) for r in bad] == [("others", "prior_period"), ("vip", "prior_period")]


def test_segment_dimension_profit(hand_warehouse):
    """February: vip is A (acquired on the web, mostly music: 2 of 3 lines); others is C (web, books); the hand data has
    no region (ingest's default: unknown). In January A is vip with one line, books. Every dimension adds up to the segment P&L; A's returns rate is 20 / 50."""
    con, _ = hand_warehouse
    rows = con.execute(
        "select segment, dimension, value, customers, revenue, contribution, profit_after_overhead, returns_rate "
        "from profit.segment_dimension_profit where period_start = '2024-02-01' and segment <> 'lapsed' order by 1, 2").fetchall()
    assert [r[:6] for r in rows] == [
        ("others", "category", "books", 1, D("10.00"), D("3.25")),
        ("others", "channel", "web", 1, D("10.00"), D("3.25")),
        ("others", "region", "unknown", 1, D("10.00"), D("3.25")),
        ("vip", "category", "music", 1, D("50.00"), D("1.25")),
        ("vip", "channel", "web", 1, D("50.00"), D("1.25")),
        ("vip", "region", "unknown", 1, D("50.00"), D("1.25")),
    ]
    assert rows[3][7] == 0.4
    # January counts the lines up to its end only: A's one line then is books, though music is A's main category later
    january = con.execute("select segment, value from profit.segment_dimension_profit "
                          "where period_start = '2024-01-01' and dimension = 'category' order by 1").fetchall()
    assert january == [("others", "music"), ("vip", "books")]
    assert query(con, "profit/check_segment_dimension_profit", every_date(con)) == []
    con.execute("update profit.segment_dimension_profit set contribution = contribution + 0.01 "
                "where segment = 'vip' and dimension = 'region' and period_start = '2024-02-01'")
    con.execute("delete from profit.segment_dimension_profit where segment = 'others' and dimension = 'channel' "
                "and period_start = '2024-02-01'")  # a dimension missing altogether
    bad = query(con, "profit/check_segment_dimension_profit", every_date(con))
    assert [(r["segment"], r["dimension"]) for r in bad] == [("others", "channel"), ("vip", "region")]


def test_contribution_bridge_factor_by_factor():
    """A segment with June 2023, May 2024 and June 2024. June 2024 against May: 4 more active customers at May's $67.50
    of gross margin each: +$270; revenue per active customer $150 -> $125 at May's 45 % margin: 12 x -$25 x 0.45 =
    -$135; the margin rate 45 % -> 40 % on $1,500: -$75; cost to serve -$20, returns +$15, marketing -$3: $458 -> $510.
    Against June 2023: 2 more active customers at $40: +$80; $100 -> $125 per customer at 40 %: +$120; the same margin."""
    with duckdb.connect() as con:
        con.execute("create schema profit; create table profit.segment_profitability as select * from (values "
                    "('vip', date '2023-06-01', date '2023-06-30', 10, 1000.00, 600.00, 50.00, 20.00, 10.00, 320.00), "
                    "('vip', date '2024-05-01', date '2024-05-31', 8, 1200.00, 660.00, 40.00, 30.00, 12.00, 458.00), "
                    "('vip', date '2024-06-01', date '2024-06-30', 12, 1500.00, 900.00, 60.00, 15.00, 15.00, 510.00)) "
                    "t(segment, period_start, period_end, active_customers, revenue, cogs, cost_to_serve, returns_cost, "
                    "marketing_cost, contribution)")
        profit_tables.build_table(con, "segment_contribution_bridge", {"costs_assumed": False})
        rows = con.execute("select basis, base_period_start::varchar, base_contribution, customer_count_effect, "
                           "revenue_per_customer_effect, margin_effect, cost_to_serve_effect, returns_effect, marketing_effect, "
                           "contribution from profit.segment_contribution_bridge where period_start = '2024-06-01' "
                           "order by basis").fetchall()
        assert rows == [
            ("prior_period", "2024-05-01", D("458.00"), D("270.00"), D("-135.00"), D("-75.00"), D("-20.00"), D("15.00"),
             D("-3.00"), D("510.00")),
            ("year_ago", "2023-06-01", D("320.00"), D("80.00"), D("120.00"), D("0.00"), D("-10.00"), D("5.00"), D("-5.00"),
             D("510.00")),
        ]
        assert con.execute("select count(*) from profit.segment_contribution_bridge where basis = 'year_ago' "
                           "and period_start = '2024-05-01'").fetchone()[0] == 0  # no May 2023
        assert query(con, "profit/check_segment_contribution_bridge") == []
