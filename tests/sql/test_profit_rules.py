"""The cost rules docs/profitability.md states, each on data that exercises it, hand-computed.

Each test fails when its rule is changed: overhead cents by largest remainder (not plain rounding),
marketing for exactly `active_months` from a purchase, quarter periods, unit-cost COGS, the
marketing costs file, the overdue rule of the at-risk list, cohort rules and `costs_assumed`.
"""

import datetime as dt
from decimal import Decimal as D

import duckdb
import polars as pl
import pytest
import yaml

from models import segments as segment_models
from pipelines import config
from pipelines.errors import SourceError
from pipelines.warehouse import calendar, loading, profit_tables

HEADER = "customer_id,order_id,order_date,amount,channel,category,quantity,unit_cost"
COLUMNS = {c: c for c in HEADER.split(",")}


@pytest.fixture
def build(tmp_path):
    """Load `lines` (HEADER columns) with the given profit settings and build profit.customer_profit."""
    connections = []

    def make(lines: list[str], as_of: str, **profit_settings) -> tuple[duckdb.DuckDBPyConnection, config.Config]:
        (tmp_path / "t.csv").write_text("\n".join([HEADER, *lines]) + "\n")
        body = {"warehouse": {"path": "w.duckdb"}, "as_of_date": as_of,
                "sources": [{"name": "shop", "path": "t.csv", "format": "csv", "columns": COLUMNS}],
                "profit": profit_settings}
        (tmp_path / "c.yaml").write_text(yaml.safe_dump(body))
        cfg = config.load(tmp_path / "c.yaml")
        con = duckdb.connect(str(tmp_path / "w.duckdb"))
        connections.append(con)
        loading.load_transactions(con, cfg)
        loading.build_customers(con, cfg)
        cal = calendar.read(con, cfg)
        profit_tables.build_customer_profit(con, cfg, cal, cal.scoring_dates)
        return con, cfg

    yield make
    for con in connections:
        con.close()


def _column(con, column: str, where: str = "true") -> dict:
    return {(c, str(p)): v for c, p, v in con.execute(
        f"select customer_id, period_start, {column} from profit.customer_profit where {where} order by 1, 2").fetchall()}


def _base_periods(con) -> list[str]:
    """The periods of _customer_profit_base, what each shard writes: the P&L reads only the periods a run computes,
    so a rule of the base shows in the P&L only when it is wrong inside them."""
    return [p for (p,) in con.execute("select distinct period_start::varchar from _customer_profit_base order by 1").fetchall()]


def test_overhead_is_allocated_in_whole_cents_by_largest_remainder(build):
    # 1.00 over 7 equal customers: 14 2/7 cents each; the 2 cents left go to the first two by customer id.
    # 10.00 over 3: 333 1/3 cents each, 1 left. Plain rounding would give 0.98 and 9.99 in total.
    lines = [f"{c},{c}1,2024-01-1{i},20.00,web,x,1," for i, c in enumerate("ABCDEFG")]
    con, _ = build(lines, "2024-01-31", overhead={"amount_per_period": 1.0, "key": "customers"})
    assert _column(con, "overhead_cost") == {
        ("A", "2024-01-01"): D("0.15"), ("B", "2024-01-01"): D("0.15"), **{(c, "2024-01-01"): D("0.14") for c in "CDEFG"}}
    con, _ = build(lines[:3], "2024-01-31", overhead={"amount_per_period": 10.0, "key": "orders"})
    assert _column(con, "overhead_cost") == {("A", "2024-01-01"): D("3.34"), ("B", "2024-01-01"): D("3.33"),
                                             ("C", "2024-01-01"): D("3.33")}


def test_overhead_goes_to_the_largest_remainders_first(build):
    # By revenue 1 : 2 : 7 of 0.10 -> 1, 2, 7 cents exactly; of 0.05 -> 0.5, 1, 3.5 cents: floors 0 + 1 + 3 = 4,
    # the one cent left goes to the larger remainder (A and C tie at .5: customer id order -> A).
    lines = ["A,a,2024-01-02,1.00,web,x,1,", "B,b,2024-01-02,2.00,web,x,1,", "C,c,2024-01-02,7.00,web,x,1,"]
    con, _ = build(lines, "2024-01-31", overhead={"amount_per_period": 0.05, "key": "revenue"})
    assert _column(con, "overhead_cost") == {("A", "2024-01-01"): D("0.01"), ("B", "2024-01-01"): D("0.01"),
                                             ("C", "2024-01-01"): D("0.03")}
    assert _column(con, "profit_after_overhead") == {("A", "2024-01-01"): D("0.99"), ("B", "2024-01-01"): D("1.99"),
                                                     ("C", "2024-01-01"): D("6.97")}


def test_a_zero_amount_line_is_neither_a_sale_nor_a_return(build):
    lines = ["A,a1,2024-01-10,10.00,web,x,1,", "A,a2,2024-01-11,0.00,web,x,1,", "A,a3,2024-01-12,-4.00,web,x,1,"]
    con, _ = build(lines, "2024-01-31", cost_to_serve={"per_line": {"default": 0.5}},
                   returns={"handling_per_return": 1.0}, cogs={"rate": {"default": 0.5}})
    row = con.execute("select sale_lines, return_lines, cogs, cost_to_serve, refunds, return_handling "
                      "from profit.customer_profit").fetchall()
    assert row == [(1, 1, D("5.00"), D("0.50"), D("4.00"), D("1.00"))]


def test_marketing_runs_active_months_from_each_purchase_month_and_no_longer(build):
    # A buys in January and June; B once in March. active_months 2: the purchase month and the next one.
    lines = ["A,a1,2024-01-10,10.00,web,x,1,", "A,a2,2024-06-03,10.00,web,x,1,", "B,b1,2024-03-31,10.00,store,x,1,"]
    marketing = {"per_customer_per_period": {"default": 1.0, "by": {"store": 2.5}}, "active_months": 2}
    con, _ = build(lines, "2024-12-31", marketing=marketing)
    assert _column(con, "marketing_cost") == {
        ("A", "2024-01-01"): D("1.00"), ("A", "2024-02-01"): D("1.00"), ("A", "2024-06-01"): D("1.00"),
        ("A", "2024-07-01"): D("1.00"), ("B", "2024-03-01"): D("2.50"), ("B", "2024-04-01"): D("2.50")}
    # A marketed month without a purchase is a row of its own: no revenue, the marketing cost as its loss.
    assert con.execute("select revenue, contribution from profit.customer_profit "
                       "where customer_id = 'A' and period_start = '2024-07-01'").fetchall() == [(D("0.00"), D("-1.00"))]


def test_marketing_stops_at_the_as_of_period(build):
    con, _ = build(["A,a1,2024-01-10,10.00,web,x,1,"], "2024-02-15",
                   marketing={"per_customer_per_period": {"default": 1.0}, "active_months": 12})
    assert _column(con, "marketing_cost") == {("A", "2024-01-01"): D("1.00"), ("A", "2024-02-01"): D("1.00")}
    assert _column(con, "period_end") == {("A", "2024-01-01"): dt.date(2024, 1, 31),
                                          ("A", "2024-02-01"): dt.date(2024, 2, 15)}
    assert _base_periods(con) == ["2024-01-01", "2024-02-01"]  # no month after the as-of period is marketed


def test_quarter_periods(build):
    # Quarters: January and March are one period; marketing 4 months from Q1 covers Q1 and Q2 (one rate each).
    lines = ["A,a1,2024-01-10,10.00,web,x,1,", "A,a2,2024-03-31,30.00,web,x,1,", "A,a3,2024-07-01,5.00,web,x,1,"]
    con, _ = build(lines, "2024-08-15", period="quarter",
                   marketing={"per_customer_per_period": {"default": 1.0}, "active_months": 4})
    rows = con.execute("select period_start::varchar, period_end::varchar, orders, revenue, marketing_cost "
                       "from profit.customer_profit order by 1").fetchall()
    assert rows == [("2024-01-01", "2024-03-31", 2, D("40.00"), D("1.00")),
                    ("2024-04-01", "2024-06-30", 0, D("0.00"), D("1.00")),
                    ("2024-07-01", "2024-08-15", 1, D("5.00"), D("1.00"))]
    assert _base_periods(con) == ["2024-01-01", "2024-04-01", "2024-07-01"]  # marketed a quarter at a time, not monthly


def test_cogs_from_unit_cost_times_quantity(build):
    # unit_cost x quantity where the line has a unit cost, else the category rate; returns are not credited back.
    lines = ["A,a1,2024-01-10,50.00,web,books,4,3.10", "A,a2,2024-01-11,20.00,web,books,2,",
             "A,a3,2024-01-12,-50.00,web,books,4,3.10"]
    con, _ = build(lines, "2024-01-31", cogs={"method": "unit_cost", "rate": {"default": 0.5, "by": {"books": 0.25}}})
    assert _column(con, "cogs") == {("A", "2024-01-01"): D("17.40")}  # 4 x 3.10 + 20.00 x 0.25
    con, _ = build(lines, "2024-01-31", cogs={"method": "rate", "rate": {"default": 0.5, "by": {"books": 0.25}}})
    assert _column(con, "cogs") == {("A", "2024-01-01"): D("17.50")}  # the rate method ignores unit costs


def test_marketing_costs_file_adds_to_the_rate(build, tmp_path):
    pl.DataFrame({"customer_id": ["A", "A", "Z"], "period_start": ["2024-01-20", "2024-03-01", "2024-02-01"],
                  "amount": [4.0, 2.5, 7.0]}).with_columns(pl.col("period_start").str.to_date()).write_parquet(tmp_path / "m.parquet")
    con, _ = build(["A,a1,2024-01-10,10.00,web,x,1,"], "2024-03-31",
                   marketing={"per_customer_per_period": {"default": 1.0}, "active_months": 1, "file": "m.parquet"})
    # January: rate 1.00 + file 4.00 (dated mid-month, counted in its month); March: file only; Z: only in the file.
    assert _column(con, "marketing_cost") == {("A", "2024-01-01"): D("5.00"), ("A", "2024-03-01"): D("2.50"),
                                              ("Z", "2024-02-01"): D("7.00")}


def test_a_missing_marketing_costs_file_names_the_key(build):
    with pytest.raises(SourceError, match=r"nothere\.parquet: profit\.marketing\.file: file not found"):
        build(["A,a1,2024-01-10,10.00,web,x,1,"], "2024-03-31", marketing={"file": "nothere.parquet"})


def _with_at_risk(cfg: config.Config, **settings) -> config.Config:
    return cfg.model_copy(update={"at_risk": cfg.at_risk.model_copy(update=settings)})


def _at_risk(hand_warehouse, overdue_factor: float, p_alive_drop: float = 0.9, **settings) -> list[tuple]:
    con, cfg = hand_warehouse
    profit_tables.build_action_lists(con, _with_at_risk(cfg, overdue_factor=overdue_factor, p_alive_drop=p_alive_drop, **settings))
    return con.execute("select customer_id, reason, days_since_last_purchase, typical_days_between_purchases "
                       "from profit.at_risk_customers order by period_end, segment, rank").fetchall()


def test_overdue_customers_are_at_risk_without_a_p_alive_drop(hand_warehouse):
    con, _ = hand_warehouse
    # A (gold): purchase days 2024-01-05, 02-10 and (made here) 01-20: 2 repeat days over 36 days, an 18-day rhythm;
    # silent 19 days at 2024-02-29. Overdue at a factor just below 19/18, not at one above it.
    con.execute("update clv.customer_rfm set frequency = 2 where customer_id = 'A'")
    assert _at_risk(hand_warehouse, 1.05) == [("A", "overdue", 19, 18.0)]
    assert _at_risk(hand_warehouse, 1.06) == []
    assert _at_risk(hand_warehouse, 1.05, p_alive_drop=0.2) == [("A", "p_alive drop and overdue", 19, 18.0)]


def test_a_p_alive_drop_of_exactly_the_threshold_is_not_flagged(hand_warehouse):
    con, _ = hand_warehouse
    con.execute("update clv.customer_clv set p_alive = case period_end when '2024-01-31' then 0.75 else 0.5 end where customer_id = 'A'")
    assert _at_risk(hand_warehouse, 9.0, p_alive_drop=0.25) == []  # 0.75 - 0.5 is exactly 0.25: not more than it
    assert _at_risk(hand_warehouse, 9.0, p_alive_drop=0.24) == [("A", "p_alive drop", 19, None)]


def test_one_repeat_purchase_has_no_rhythm_to_be_overdue_against(hand_warehouse):
    # A has one repeat purchase day in clv.customer_rfm: no typical gap, never overdue.
    assert _at_risk(hand_warehouse, 1.01) == []


def test_a_customer_who_bought_11_days_ago_is_never_flagged(hand_warehouse):
    """The issue's case: bought 11 days ago with a usual gap of 4 days, and p_alive fell. The floor keeps them off."""
    con, _ = hand_warehouse
    con.execute("update clv.customer_rfm set frequency = 3, first_purchase = '2024-02-06', last_purchase = '2024-02-18' "
                "where customer_id = 'A'")  # 3 repeat days in 12 days: a 4-day rhythm, silent 11 days (> 2 x 4)
    for floor in (11, 14, 30):
        assert _at_risk(hand_warehouse, 2.0, p_alive_drop=0.2, recent_days=floor) == [], floor
    assert _at_risk(hand_warehouse, 2.0, p_alive_drop=0.2, recent_days=10) == [("A", "p_alive drop and overdue", 11, 4.0)]
    assert config.AtRisk().recent_days == 30  # the default floor


def _lists(con) -> list[tuple]:
    return con.execute("select segment, rank, customer_id, current_segment, expected_loss, suggested_action "
                       "from profit.at_risk_customers order by segment, rank").fetchall()


def test_every_segment_has_its_own_list_ranked_by_expected_loss(hand_warehouse):
    """B lapsed from others in February: they stay on the others list, ranked there from 1, not after vip's A."""
    con, cfg = hand_warehouse
    con.execute("insert into clv.customer_rfm (customer_id, period_end, frequency, recency, t, monetary_value, first_purchase, "
                "last_purchase, time_unit) values ('B', '2024-02-29', 0, 0, 5.57, 0, '2024-01-20', '2024-01-20', 'weeks')")
    profit_tables.build_action_lists(con, _with_at_risk(cfg, watch={"others": ["bronze"]}))
    # A: CLV at stake max(100, 90) x (1 - 0.6) = 40.00; B: max(10, 2) x (1 - 0.05) = 9.50
    assert _lists(con) == [("others", 1, "B", "lapsed", D("9.50"), "no action"),
                           ("vip", 1, "A", "vip", D("40.00"), "win-back offer")]
    # others watches only gold by default here (at_risk.tiers): B is not on any list
    profit_tables.build_action_lists(con, cfg)
    assert [r[2] for r in _lists(con)] == ["A"]


def test_the_suggested_action_is_the_first_matching_rule(hand_warehouse):
    con, cfg = hand_warehouse
    rules = [config.ActionRule(action="call", segments=["others"]),
             config.ActionRule(action="overdue note", reason="overdue"),
             config.ActionRule(action="big drop", reason="p_alive_drop", tiers=["gold"], min_expected_loss=40),
             config.ActionRule(action="email")]
    profit_tables.build_action_lists(con, _with_at_risk(cfg, actions=rules))
    assert [r[5] for r in _lists(con)] == ["big drop"]  # 40.00 is at least 40; not overdue; not in others
    profit_tables.build_action_lists(con, _with_at_risk(cfg, actions=rules[:2] + [rules[2].model_copy(update={"min_expected_loss": 40.01})]))
    assert [r[5] for r in _lists(con)] == ["no action"]


def test_lists_are_kept_per_period_and_the_save_rate_counts_who_bought_again(hand_warehouse):
    """A is overdue at 2024-01-31 (a 17.5-day rhythm, silent 26 days) and buys on 02-10: vip's February save rate is 1."""
    from pipelines.site import pages

    con, cfg = hand_warehouse
    con.execute("insert into clv.customer_rfm (customer_id, period_end, frequency, recency, t, monetary_value, first_purchase, "
                "last_purchase, time_unit) values ('A', '2024-01-31', 2, 5.0, 8.7, 50, '2023-12-01', '2024-01-05', 'weeks')")
    profit_tables.build_action_lists(con, _with_at_risk(cfg, overdue_factor=1.2))
    rows = con.execute("select period_end::varchar, customer_id, reason from profit.at_risk_customers order by 1").fetchall()
    assert rows == [("2024-01-31", "A", "overdue"), ("2024-02-29", "A", "p_alive drop")]
    pages.build_scorecard_table(con, cfg)
    save = con.execute("select period_end::varchar, value from scorecards.segment_scorecard "
                       "where segment = 'vip' and kpi = 'save_rate' order by 1").fetchall()
    assert save == [("2024-01-31", None), ("2024-02-29", 1.0)]


def test_cohort_rules_use_the_acquisition_quarter():
    customers = pl.DataFrame({"customer_id": ["a", "b", "c", "d"], "period_end": ["x"] * 4,
                              "value_tier": ["bronze", "bronze", "gold", "inactive"],
                              "region": ["n"] * 4, "channel": ["web"] * 4,
                              "cohort": ["1997Q1", "1997Q2", "1997Q1", "1997Q1"]})
    segments = [{"name": "early_gold", "rule": {"cohort": ["1997Q1"], "value_tier": ["gold"]}, "catch_all": False},
                {"name": "early", "rule": {"cohort": ["1997Q1"]}, "catch_all": False},
                {"name": "rest", "rule": None, "catch_all": True}]
    assigned = segment_models.assign(customers, segments, "lapsed")
    assert assigned["segment"].to_list() == ["early", "rest", "early_gold", "lapsed"]


def test_cohort_is_the_first_purchase_quarter(hand_warehouse):
    con, _ = hand_warehouse
    dims = profit_tables.customer_dimensions(con, [dt.date(2024, 2, 29)])
    assert dict(zip(dims["customer_id"], dims["cohort"])) == {"A": "2024Q1", "B": "2024Q1", "C": "2024Q1"}
    con.execute("update staging.customers set first_purchase = '2023-12-31' where customer_id = 'B'")
    dims = profit_tables.customer_dimensions(con, [dt.date(2024, 2, 29)])
    assert dict(zip(dims["customer_id"], dims["cohort"]))["B"] == "2023Q4"


PROFIT_FIGURES = ("revenue", "contribution", "contribution_moved", "cumulative_contribution", "total_contribution")


def test_every_profit_table_with_a_cost_figure_says_whether_costs_are_assumed(hand_warehouse):
    con, _ = hand_warehouse
    columns = con.execute("select table_name, list(column_name) from duckdb_columns() "
                          "where schema_name = 'profit' group by 1").fetchall()
    with_costs = {t for t, cols in columns if set(cols) & set(PROFIT_FIGURES)}
    assert with_costs == {"customer_profit", "segment_profitability", "segment_migration", "segment_contribution_bridge",
                          "segment_dimension_profit", "whale_curve", "whale_curve_summary"}
    for table in sorted(with_costs):
        assert con.execute(f"select distinct costs_assumed from profit.{table}").fetchall() == [(True,)], table


def test_segment_pnl_boundaries(hand_warehouse):
    """Lapsed at two dates is not lost again; a first purchase on a period's first day is new; break-even is not unprofitable."""
    con, cfg = hand_warehouse
    con.execute("update clv.customer_clv set value_tier = 'inactive', p_alive = 0.05 where customer_id = 'B'")
    con.execute("update staging.customers set first_purchase = '2024-02-01' where customer_id = 'C'")
    con.execute("update profit.customer_profit set contribution = 0 where customer_id = 'C'")
    profit_tables.build_customer_segments(con, cfg, *[[dt.date(2024, 1, 31), dt.date(2024, 2, 29)]] * 2)
    profit_tables.build_segment_profitability(con, cfg)
    profit_tables.build_whale_curve(con, cfg)
    rows = con.execute("select segment, period_start::varchar, prior_customers, lost_customers, new_customers "
                       "from profit.segment_profitability where segment in ('lapsed', 'others') order by 2, 1").fetchall()
    assert rows == [("lapsed", "2024-01-01", 0, 0, 1), ("lapsed", "2024-02-01", 1, 0, 0), ("others", "2024-02-01", 0, 0, 1)]
    unprofitable = con.execute("select unprofitable_customers from profit.whale_curve_summary "
                               "where scope = 'all' and window_name = 'period' and period_start = '2024-02-01'").fetchone()[0]
    assert unprofitable == 1  # B (-0.25); C at exactly 0 is not


def test_retention_counts_moves_to_other_segments_and_repeat_purchase_is_beside_it(hand_warehouse):
    """A moves from vip to others in February without lapsing and buys again: vip retains no one (the old,
    lapse-only definition said 100 %), while vip's repeat-purchase rate is 100 %."""
    con, cfg = hand_warehouse
    con.execute("update clv.customer_clv set value_tier = 'bronze' where customer_id = 'A' and period_end = '2024-02-29'")
    profit_tables.build_customer_segments(con, cfg, *[[dt.date(2024, 1, 31), dt.date(2024, 2, 29)]] * 2)
    profit_tables.build_segment_profitability(con, cfg)
    rows = con.execute("select segment, prior_customers, lost_customers, retained_customers, retention_rate, "
                       "repeat_customers, repeat_purchase_rate from profit.segment_profitability "
                       "where period_start = '2024-02-01' order by segment").fetchall()
    assert rows == [("lapsed", 0, 0, 0, None, 0, None),
                    ("others", 1, 1, 0, 0.0, 0, 0.0),  # B lapsed and did not buy
                    ("vip", 1, 0, 0, 0.0, 1, 1.0)]


def test_segment_rules_read_the_region_known_at_each_date(hand_warehouse):
    """A bought once in the north in January, then twice in the south in February. At the end of January A is a
    northern customer, whatever February's data says (it made south A's region over all the data); at the end of
    February a southern one. The P&L by region reads the same region. Totals over all the data are no rule input."""
    con, cfg = hand_warehouse
    con.execute("update staging.transactions set region = case when order_date < '2024-02-01' then 'north' else 'south' end")
    loading.build_customers(con, cfg)  # staging.customers.main_region: south, over all the data
    vip = cfg.segments[0].model_copy(update={"rule": cfg.segments[0].rule.model_copy(update={"region": ["north"]})})
    cfg = cfg.model_copy(update={"segments": [vip, *cfg.segments[1:]]})
    jan, feb = dt.date(2024, 1, 31), dt.date(2024, 2, 29)
    last = profit_tables.build_customer_segments(con, cfg, [jan, feb], [jan, feb])
    assert con.execute("select period_end, region, segment from profit.customer_segments where customer_id = 'A' "
                       "order by 1").fetchall() == [(jan, "north", "vip"), (feb, "south", "others")]
    assert not {"orders", "revenue", "last_purchase", "main_region"} & set(last.columns)
    profit_tables.build_for_dates(con, cfg, "segment_dimension_profit", {"costs_assumed": True})
    assert con.execute("select period_end, value from profit.segment_dimension_profit where dimension = 'region' "
                       "and customers > 0 and segment = 'vip' order by 1").fetchall() == [(jan, "north")]
