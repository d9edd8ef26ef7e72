"""Scorecards: the table's KPIs and statuses, HTML that shows exactly its numbers, escaping."""

import re
from html.parser import HTMLParser

import pytest

from pipelines import scorecards


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
    scorecards.build_scorecard_table(con, cfg)
    data = scorecards.site_data(con, cfg)
    index = scorecards.render_site(data, tmp_path / "site")
    return con, cfg, data, index


def test_scorecard_rows_and_statuses(hand_warehouse):
    con, cfg = hand_warehouse
    cfg.segments[0].targets.update({
        "contribution_per_customer": _target(1.5, "higher"),
        "customers": _target(2, "higher", 0.6),
        "revenue": _target(40, "lower"),
    })
    scorecards.build_scorecard_table(con, cfg)
    rows = {r[0]: r[1:] for r in con.execute(
        "select kpi, value, target, status, prior_value, change, manager from scorecards.segment_scorecard "
        "where segment = 'vip' and as_of_date = '2024-02-29'").fetchall()}
    assert rows["contribution_per_customer"] == (1.25, 1.5, "red", 57.25, 1.25 - 57.25, None)  # 17 % short > 10 %
    assert rows["customers"] == (1.0, 2.0, "amber", 1.0, 0.0, None)  # 50 % short, within 60 %
    assert rows["revenue"] == (50.0, 40.0, "red", 100.0, -50.0, None)  # lower is better: 25 % over
    assert rows["retention_rate"][:3] == (1.0, None, None)  # no target: no colour
    assert rows["net_migration"][0] == 0.0  # vip -> vip only
    others = dict(con.execute("select kpi, value from scorecards.segment_scorecard "
                              "where segment = 'others' and as_of_date = '2024-02-29'").fetchall())
    assert others["net_migration"] == 0.0  # +1 new (C), -1 to lapsed (B)
    assert others["retention_rate"] == 0.0


def _target(value, better, amber=0.1):
    from pipelines.config import Target

    return Target(target=value, better=better, amber_within=amber)


def test_html_shows_exactly_the_table(site):
    con, cfg, data, index = site
    assert [p.name for p in sorted(index.parent.iterdir())] == ["index.html", "print.html", "segment-others.html", "segment-vip.html"]
    for segment in ("vip", "others"):
        shown = _parse(index.parent / f"segment-{segment}.html").kpi_values
        table = con.execute("select kpi, value, unit from scorecards.segment_scorecard "
                            "where segment = ? and as_of_date = '2024-02-29'", [segment]).fetchall()
        assert len(shown) == len(table) == 10
        for kpi, value, unit in table:
            expected = "n/a" if value is None else scorecards.formatter(unit, "$")(value)
            assert shown[kpi] == expected, (segment, kpi)
    vip = _parse(index.parent / "segment-vip.html")
    assert vip.kpi_values["contribution"] == "$1.25" and vip.kpi_values["customer_equity"] == "$90.00"
    text = " ".join(vip.text)
    assert "Assumed costs." in text and "hand-made test costs" in text
    assert "A" in text and "p_alive drop" in text  # the at-risk customer


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
    scorecards.build_scorecard_table(con, cfg)
    index = scorecards.render_site(scorecards.site_data(con, cfg), tmp_path / "site")
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
                                "where as_of_date = '1998-06-30' group by 1").fetchall())
    assert statuses["none"] > 0 and sum(statuses.get(s, 0) for s in ("green", "amber", "red")) > 0
