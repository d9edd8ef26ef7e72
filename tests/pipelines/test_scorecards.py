"""Scorecards: the table's KPIs and statuses, HTML that shows exactly its numbers, escaping."""

import datetime as dt
import re
import shutil
from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from pipelines import config
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.orchestration.scorecard_assets import segment_scorecard
from pipelines.site import breakdowns, pages
from pipelines.warehouse.database import create_tables


class TextAndAttributes(HTMLParser):
    """Collects the text of elements with data-kpi (per page), every element name and all text."""

    def __init__(self):
        super().__init__()
        self.kpi_values, self.tags, self.text, self._kpi = {}, [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if "data-kpi" in attrs and tag == "p":
            self._kpi = attrs["data-kpi"]

    def handle_data(self, data):
        self.text.append(data)
        if self._kpi:
            self.kpi_values[self._kpi] = data.strip()
            self._kpi = None


def _parse(path) -> TextAndAttributes:
    parser = TextAndAttributes()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture
def site(hand_warehouse, tmp_path):
    con, cfg = hand_warehouse
    # B's RFM at the end of February (the lapsed page reads last purchase and purchase days from it): one purchase day
    con.execute("insert into clv.customer_rfm (customer_id, period_end, frequency, recency, t, monetary_value, first_purchase, "
                "last_purchase, time_unit) values ('B', '2024-02-29', 0, 0, 5.71, 0, '2024-01-20', '2024-01-20', 'weeks')")
    pages.build_scorecard_table(con, cfg)
    data = pages.site_data(con, cfg)
    index = pages.render_site(data, tmp_path / "site")
    return con, cfg, data, index


def test_scorecard_rows_and_statuses(hand_warehouse):
    con, cfg = hand_warehouse
    cfg.segments[0].targets.update({
        "contribution_per_customer": _target(1.5, "higher"),
        "customers": _target(2, "higher", 0.6),
        "revenue": _target(40, "lower"),
    })
    pages.build_scorecard_table(con, cfg)
    rows = {r[0]: r[1:] for r in con.execute(
        "select kpi, value, target, status, prior_value, change, manager from scorecards.segment_scorecard "
        "where segment = 'vip' and period_end = '2024-02-29'").fetchall()}
    assert rows["contribution_per_customer"] == (1.25, 1.5, "red", 57.25, 1.25 - 57.25, None)  # 17 % short > 10 %
    assert rows["customers"] == (1.0, 2.0, "amber", 1.0, 0.0, None)  # 50 % short, within 60 %
    assert rows["revenue"] == (50.0, 40.0, "red", 100.0, -50.0, None)  # lower is better: 25 % over
    assert rows["retention_rate"][:3] == (1.0, None, None)  # no target: no colour
    assert rows["net_migration"][0] == 0.0  # vip -> vip only
    others = dict(con.execute("select kpi, value from scorecards.segment_scorecard "
                              "where segment = 'others' and period_end = '2024-02-29'").fetchall())
    assert others["net_migration"] == 0.0  # +1 new (C), -1 to lapsed (B)
    assert others["retention_rate"] == 0.0


def _target(value, better, amber=0.1):
    from pipelines.config import Target

    return Target(target=value, better=better, amber_within=amber)


# How each KPI must read, written here rather than by the renderer's formatter (values below $1,000).
EXPECTED_TEXT = {
    "customers": "{:,.0f}", "active_customers": "{:,.0f}", "revenue": "${:,.2f}", "contribution": "${:,.2f}",
    "contribution_per_customer": "${:,.2f}", "customer_equity": "${:,.2f}", "average_clv": "${:,.2f}",
}
KPIS_FROM_THE_WAREHOUSE = """
    select customers, active_customers, revenue, contribution, contribution_per_customer, share_of_contribution,
        customer_equity, customer_equity / customers as average_clv, retention_rate, repeat_purchase_rate,
        (select avg(case when bought.orders > 0 then 1.0 else 0.0 end)
         from profit.at_risk_customers as flagged
         left join profit.customer_profit as bought on bought.customer_id = flagged.customer_id and bought.period_start = '2024-02-01'
         where flagged.segment = $segment and flagged.period_end = '2024-01-31') as save_rate,
        (select coalesce(sum(customers) filter (where to_segment = $segment), 0)
              - coalesce(sum(customers) filter (where from_segment = $segment), 0)
         from profit.segment_migration where period_end = '2024-02-29' and from_segment <> to_segment) as net_migration
    from profit.segment_profitability where segment = $segment and period_start = '2024-02-01'
"""


def _expected_text(kpi: str, value) -> str:
    if value is None:
        return "n/a"
    if kpi in ("share_of_contribution", "retention_rate", "repeat_purchase_rate", "save_rate"):
        return f"{float(value) * 100:.1f} %".replace("-", "\u2212")
    if kpi == "net_migration":
        return f"{value:+d}".replace("-", "\u2212") if value else "0"  # zero has no sign
    return EXPECTED_TEXT[kpi].format(value)


def test_html_shows_exactly_the_warehouse_figures(site):
    con, cfg, data, index = site
    assert [p.name for p in sorted(index.parent.iterdir())] == ["actions-others.csv", "actions-vip.csv", "index.html", "lapsed.html",
                                                                 "print.html", "segment-others.html", "segment-vip.html"]
    for segment in ("vip", "others"):
        shown = _parse(index.parent / f"segment-{segment}.html").kpi_values
        cursor = con.execute(KPIS_FROM_THE_WAREHOUSE, {"segment": segment})
        figures = dict(zip([d[0] for d in cursor.description], cursor.fetchone()))
        assert shown == {kpi: _expected_text(kpi, value) for kpi, value in figures.items()}, segment
    vip = _parse(index.parent / "segment-vip.html")
    assert vip.kpi_values["contribution"] == "$1.25" and vip.kpi_values["customer_equity"] == "$90.00"
    assert vip.kpi_values["share_of_contribution"] == "29.4 %"  # 1.25 / 4.25
    text = " ".join(vip.text)
    assert "Assumed costs." in text and "hand-made test costs" in text


def test_the_action_list_shows_the_flagged_customer_and_its_csv_has_the_whole_list(site):
    con, _, _, index = site
    html = (index.parent / "segment-vip.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-customer="([^"]*)"><td class="num">(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>\s*'
                      r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td><td>([^<]*)</td>\s*'
                      r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td><td class="num">(\d+)</td></tr>', html)
    # A: CLV at stake $100 x (1 - 0.6); one repeat purchase day, so no usual gap
    assert rows == [("A", "1", "A", "win-back offer", "$40.00", "90 % → 60 %", "p alive fell", "2024-02-10", "–", "19")]
    others = (index.parent / "segment-others.html").read_text(encoding="utf-8")
    assert "No customer of this segment is flagged." in others
    csv = (index.parent / "actions-vip.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0].startswith("rank,customer_id,suggested_action,expected_loss,clv_at_stake,p_alive")
    assert csv[1].startswith("1,A,win-back offer,40.00,100.00,0.6,")
    assert (index.parent / "actions-others.csv").read_text(encoding="utf-8").count("\n") == 1  # the header only


def test_the_page_draws_the_equity_bridge_that_reconciles(site):
    con, _, _, index = site
    html = (index.parent / "segment-others.html").read_text(encoding="utf-8")
    shown = dict(re.findall(r'data-bridge="([^"]+)">([^<]*)<', html))
    # others in February: start $10 (B), B lapses (−$10), C is acquired ($5): end $5
    assert shown == {"start": "$10.00", "Acquired": "+$5.00", "Lapsed": "−$10.00", "Moved out": "$0", "Moved in": "$0",
                     "Value change": "$0", "end": "$5.00"}
    assert html.count("<svg") == 7  # four trends, the two waterfalls and the segment's whale curve


def test_the_page_draws_the_contribution_bridge_that_reconciles(site):
    """vip, February against January (tests/sql/test_profit.py): $57.25 - $30 revenue per active customer - $5 margin
    - $21 returns = $1.25; no year-ago column, the data has two months."""
    con, _, _, index = site
    html = (index.parent / "segment-vip.html").read_text(encoding="utf-8")
    shown = dict(re.findall(r'data-contribution="([^"]+)">([^<]*)<', html))
    assert shown == {"start-1": "$57.25", "customer_count_effect-1": "$0", "revenue_per_customer_effect-1": "−$30.00",
                     "margin_effect-1": "−$5.00", "cost_to_serve_effect-1": "$0", "returns_effect-1": "−$21.00",
                     "marketing_effect-1": "$0", "end-1": "$1.25"}
    assert "Why contribution moved since Jan 2024: $57.25 → $1.25" in html
    assert "No year-on-year bridge" in html
    assert "Gross margin = active customers × revenue per active customer × margin rate" in html  # the one-line definition


def test_the_page_shows_profit_after_overhead_the_returns_rate_and_says_when_there_are_no_dimensions(site):
    """vip in February: A's $50 of sales, $20 refunded (40 %), $10 overhead allocated by revenue: 50 / 60 of it."""
    con, _, _, index = site
    html = (index.parent / "segment-vip.html").read_text(encoding="utf-8")
    pnl = dict(re.findall(r'data-pnl="([^"]+)">([^<]*)<', html))
    overhead, after = con.execute("select overhead_cost, profit_after_overhead from profit.segment_profitability "
                                  "where segment = 'vip' and period_start = '2024-02-01'").fetchone()
    assert pnl["revenue"] == "$50.00" and pnl["returns_cost"] == "−$21.00" and pnl["returns_rate"] == "40.0 %"
    assert pnl["contribution"] == "$1.25"
    assert pnl["overhead_cost"] == f"−${overhead:.2f}" and pnl["profit_after_overhead"] == f"−${-after:.2f}"
    assert after == Decimal("1.25") - overhead and overhead == Decimal("8.33")
    assert 'data-dimensions="none"' in html and "data-table=\"dimensions\"" not in html  # one channel, one category: no tables


def test_the_index_counts_targets_met_and_names_the_worst_kpi_and_the_portfolio_change(hand_warehouse, tmp_path):
    con, cfg = hand_warehouse
    cfg.segments[0].targets.update({"customers": _target(1, "higher"), "contribution": _target(10, "higher"),
                                    "revenue": _target(45, "higher")})
    pages.build_scorecard_table(con, cfg)
    index = pages.render_site(pages.site_data(con, cfg), tmp_path / "site")
    html = index.read_text(encoding="utf-8")
    assert re.search(r'data-targets="vip">2 of 3 targets met<', html)  # customers 1 and revenue $50 met, contribution $1.25 not
    worst = re.search(r'data-worst="vip">(.*?)</span>\s*</span>', html, re.S).group(1)
    assert "✕ Contribution" in worst and "$1.25 vs $10.00" in worst
    assert 'data-targets="others"' not in html  # no targets: nothing to count
    changes = dict(re.findall(r'data-total-change="([^"]+)">([^<]*)<', html))
    # January: A and B ($57.25 + $16.25); February: A, C and the lapsed B ($1.25 + $3.25 - $0.25)
    assert changes["contribution"] == "▼ −$69.25 vs prior month"
    assert changes["customers"] == "▲ +1 vs prior month"


def test_the_lapsed_page_says_who_they_were_what_they_were_worth_and_who_could_be_won_back(site):
    """B lapsed in February out of others, with $10 of CLV at the end of January and $16.00 of contribution in all
    ($16.25 in January, then $0.25 of marketing)."""
    _, _, _, index = site
    html = (index.parent / "lapsed.html").read_text(encoding="utf-8")
    row = re.search(r'<tr data-former="others">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td[^>]*>([^<]*)</td>', row) == ["others", "1", "1", "1", "$10.00", "$40.00", "$16.00"]
    won_back = re.search(r'<tr data-customer="B">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td[^>]*>([^<]*)</td>', won_back)
    assert cells[:7] + cells[8:] == ["1", "B", "others", "bronze", "2024-02-29", "$10.00", "$16.00", "2024-01-20", "1"]
    assert 'href="lapsed.html"' in index.read_text(encoding="utf-8")



def test_a_restatement_is_announced_on_every_page_that_shows_history_and_stays_announced(hand_warehouse, tmp_path):
    """January's published figures recomputed because a late record arrived: the index, the segment pages, the print
    sheets and the lapsed page (whose CLV before lapsing and lifetime contribution come from past periods) say so, with
    the reason; after a later run that restated nothing, the pages still say which run restated January and why."""
    con, cfg = hand_warehouse
    create_tables(con, "meta/runs")
    run_row = ("insert into meta.runs (run_id, started_at, finished_at, config_file, config_hash, row_counts, segprof_version, "
               "restated, restatement_reason) values (?, ?, ?, 'segprof.yaml', 'h', '{}', '0', ?, ?)")
    con.execute(run_row, ["first", dt.datetime(2024, 3, 1, 9), dt.datetime(2024, 3, 1, 10), [], None])
    con.execute(run_row, ["late", dt.datetime(2024, 3, 2, 9), dt.datetime(2024, 3, 2, 10), [dt.date(2024, 1, 1)],
                          "inputs changed in 2024-01"])
    pages.build_scorecard_table(con, cfg)
    names = ("index.html", "segment-vip.html", "print.html", "lapsed.html")

    def notice(folder: str) -> dict[str, str]:
        index = pages.render_site(pages.site_data(con, cfg), tmp_path / folder)
        return {name: re.search(r'<div class="notice" role="note" data-notice="restated">(.*?)</div>',
                                (index.parent / name).read_text(encoding="utf-8"), re.S).group(1) for name in names}

    for name, text in notice("site").items():
        assert "<li>This run restated 2024-01 (inputs changed in 2024-01).</li>" in text, name
    con.execute(run_row, ["later", dt.datetime(2024, 3, 3, 9), dt.datetime(2024, 3, 3, 10), [], None])
    for name, text in notice("later").items():
        assert "<li>The run of 2024-03-02 restated 2024-01 (inputs changed in 2024-01).</li>" in text, name
        assert "This run" not in text, name


def test_pages_say_an_open_period_is_provisional_and_a_closed_one_is_not(site):
    """The hand warehouse's as-of date is the last day of February: closed, so no provisional note; a period that
    stops mid-way says how much of it the figures cover."""
    _, _, _, index = site
    assert 'data-notice="provisional"' not in index.read_text(encoding="utf-8")
    assert pages._provisional(dt.date(2024, 2, 29), "month") is None
    assert pages._provisional(dt.date(1998, 7, 12), "month") == {
        "label": "1998-07", "start": dt.date(1998, 7, 1), "through": dt.date(1998, 7, 12), "days": 12, "of": 31}
    assert pages._provisional(dt.date(1998, 8, 31), "quarter")["days"] == 62


def test_pages_make_no_external_request_and_have_no_scripts(site):
    _, _, _, index = site
    for page in index.parent.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["'](https?:)?//""", html), page.name
        assert "@import" not in html and not re.search(r"url\((?!['\"]?#)", html)  # only in-page SVG references
        assert "<script" not in html


def test_markup_in_names_is_shown_as_text(hand_warehouse, tmp_path):
    con, cfg = hand_warehouse
    evil = "<script>alert('x')</script><b>Bold</b> & Co"
    vip = cfg.segments[0]
    object.__setattr__(vip, "description", evil)
    from pipelines.config import Manager

    object.__setattr__(vip, "manager", Manager(name=evil, email="x@example.com"))
    pages.build_scorecard_table(con, cfg)
    index = pages.render_site(pages.site_data(con, cfg), tmp_path / "site")
    for page in ("segment-vip.html", "index.html"):
        html = (index.parent / page).read_text(encoding="utf-8")
        parsed = _parse(index.parent / page)
        assert "script" not in parsed.tags and "b" not in parsed.tags
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    manager = con.execute("select distinct manager from scorecards.segment_scorecard where segment = 'vip'").fetchall()
    assert manager == [(evil,)]


def test_cdnow_demo_writes_the_site(cdnow_demo):
    con, outputs = cdnow_demo
    index_line = outputs[0][-1]
    assert index_line.startswith("scorecards") and index_line.endswith("index.html")
    statuses = dict(con.execute("select coalesce(status, 'none'), count(*) from scorecards.segment_scorecard "
                                "where period_end = '1998-06-30' group by 1").fetchall())
    assert statuses["none"] > 0 and sum(statuses.get(s, 0) for s in ("green", "amber", "red")) > 0


def test_the_scorecard_metadata_counts_the_tiles_the_pages_show(cdnow_demo, tmp_path):
    """The segment_scorecard asset counts pages and statuses from its table, without building the site: the same counts
    as the pages' own tiles."""
    con, _ = cdnow_demo
    con.execute("checkpoint")
    demo = Path(con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0])
    database = tmp_path / "w.duckdb"  # a copy: the demo's connection holds the file
    shutil.copy(demo, database)
    path = tmp_path / "segprof.yaml"
    path.write_text((demo.parent / "segprof.yaml").read_text().replace(str(demo), str(database)))
    result = segment_scorecard(segprof=SegprofConfig(path=str(path)), duckdb=WarehouseResource(database=str(database)))
    with duckdb.connect(str(database)) as copy:
        data = pages.site_data(copy, config.load(path))
    assert result.metadata["pages"] == len(data["pages"]) == 3
    assert result.metadata["statuses"] == Counter(tile["status_class"] for page in data["pages"] for tile in page["tiles"])


def test_the_lapsed_page_without_lapsed_customers(hand_warehouse):
    con, cfg = hand_warehouse
    con.execute("update profit.customer_segments set segment = 'others' where segment = 'lapsed'")
    page = breakdowns.lapsed_page(con, cfg, dt.date(2024, 2, 29), pages.formatter, 10)
    assert (page["customers"], page["summary"], page["win_back"], page["clv_before"]) == (0, [], [], "$0")


@pytest.mark.parametrize(("unit", "value", "text"), [
    ("money", 999.994, "$999.99"), ("money", 1000, "$1,000"), ("money", -18256.4, "−$18,256"), ("money", 2_500_315.63, "$2.50M"),
    ("money", -0.004, "$0"), ("signed_money", -0.004, "$0"), ("signed_money", 6828.97, "+$6,829"), ("signed_money", -368.4, "−$368.40"),
    ("percent", -0.00004, "0.0 %"), ("percent", 0.8944, "89.4 %"), ("points", -0.0004, "0.0 pts"), ("points", 0.009, "+0.9 pts"),
    ("signed_count", 0, "0"), ("signed_count", -8, "−8"),
])
def test_one_money_format_per_size_class_and_no_signed_zero(unit, value, text):
    assert pages.formatter(unit, "$")(value) == text


def test_a_change_that_rounds_to_zero_has_no_sign_and_no_arrow():
    assert pages._change_text(-0.00004, "percent", "$") == "■ 0.0 pts"
    assert pages._change_text(-1283.2, "money", "$") == "▼ −$1,283"
    assert pages._change_text(0.009, "percent", "$") == "▲ +0.9 pts"
