"""What a person sees: the scorecards in headless Chromium, offline, and printed to PDF."""

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from pipelines.site import pages

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _visit(browser, path, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("networkidle")
    return page, requests, problems


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.fixture
def site(hand_warehouse, tmp_path):
    con, cfg = hand_warehouse
    pages.build_scorecard_table(con, cfg)
    return pages.render_site(pages.site_data(con, cfg), tmp_path / "site")


def test_pages_load_offline_without_errors(browser, site):
    for name in ("index.html", "segment-vip.html", "segment-others.html", "lapsed.html"):
        page, requests, problems = _visit(browser, site.parent / name)
        assert problems == [], name
        assert requests and all(url.startswith("file://") for url in requests), requests
        assert len(requests) == 1  # the page itself: every style and chart is inline
        page.close()


def test_index_links_to_every_segment_and_shows_their_figures(browser, site):
    page, _, _ = _visit(browser, site)
    rows = page.locator("tr[data-segment]")
    assert rows.count() == 3  # vip, others and the lapsed segment
    assert page.locator("tr[data-segment='vip'] td[data-kpi='contribution']").inner_text().startswith("$1.25")
    page.locator("a", has_text="vip").first.click()
    assert page.url.endswith("segment-vip.html")
    assert page.locator("p[data-kpi='customer_equity']").inner_text() == "$90.00"


def test_phone_width_has_no_horizontal_scroll(browser, site):
    for name in ("segment-vip.html", "lapsed.html"):
        page, _, _ = _visit(browser, site.parent / name, width=390)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        page.close()


def test_print_gives_two_pages_per_segment(browser, site):
    """The figures and both bridges on the first page, the P&L, its split by dimension and the action list on the second."""
    page, _, _ = _visit(browser, site.parent / "print.html")
    assert _pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True)) == 4


def test_cdnow_print_gives_two_pages_per_segment(browser, cdnow_demo):
    con, outputs = cdnow_demo
    index = outputs[0][-1].split()[-1]
    page, requests, problems = _visit(browser, Path(index))
    assert problems == [] and len(requests) == 1
    assert page.locator("tr[data-segment]").count() == 4
    page, _, _ = _visit(browser, Path(index).parent / "print.html")
    assert _pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True)) == 6
    page.emulate_media(media="print")
    page.set_viewport_size(PRINTED)
    sizes = page.evaluate(CHART_TEXT)
    assert len(sizes) > 200  # three segments' trends and two waterfalls each
    assert [(text, round(px * 0.75, 1)) for text, px in sizes if px * 0.75 < 8] == []


def test_the_model_page_shows_the_choice_and_its_evidence(browser, cdnow_demo):
    con, outputs = cdnow_demo
    index = outputs[0][-1].split()[-1]
    page, requests, problems = _visit(browser, Path(index).parent / "model.html")
    assert problems == [] and len(requests) == 1
    ranks = con.execute("select model, any_value(selection_rank) from clv.model_runs where selection_rank is not null "
                        "and period_end = '1998-06-30' group by 1 order by 2").fetchall()  # the refit that scores the as-of date
    shown = page.locator("table[data-table='selection'] tr[data-model]")
    assert [shown.nth(i).get_attribute("data-model") for i in range(shown.count())] == [m for m, _ in ranks]
    assert page.locator("tr.chosen").get_attribute("data-model") == ranks[0][0]
    assert page.locator("figure svg").count() == 3  # tracking, by frequency, by decile
    assert page.locator("table[data-table='by-frequency'] tbody tr").count() == 8
    assert page.locator("table[data-table='by-decile'] tbody tr").count() == 10
    page.goto((Path(index).parent / "index.html").as_uri())
    page.locator("a", has_text="CLV model").click()
    assert page.url.endswith("model.html")


LONG_NAME = "Northern_region_high_value_subscribers_X"  # 40 characters and nowhere to break: the worst case
assert len(LONG_NAME) == 40

# Grid and flex children that share a row, and table cells whose text spills out of them: what a person sees as overlap.
OVERLAPS = """() => {
  const boxes = el => el.getBoundingClientRect();
  const problems = [];
  for (const grid of document.querySelectorAll('.tiles, .charts, .columns, .pair')) {
    if (grid.scrollWidth > grid.clientWidth + 1) problems.push(`${grid.className}: wider than its place`);
    const kids = [...grid.children].filter(k => boxes(k).width > 0);
    for (let i = 0; i < kids.length; i++) for (let j = i + 1; j < kids.length; j++) {
      const a = boxes(kids[i]), b = boxes(kids[j]);
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
        problems.push(`${grid.className}: child ${i} overlaps child ${j}`);
    }
    for (const k of kids) if (k.scrollWidth > k.clientWidth + 1 && !k.classList.contains('scroll') && !k.querySelector('.scroll'))
      problems.push(`${grid.className}: a ${k.tagName} is wider than its column`);
  }
  for (const cell of document.querySelectorAll('td, th, h1'))
    if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`text spills out of ${cell.tagName}: ${cell.textContent.slice(0, 40)}`);
  const main = boxes(document.querySelector('main'));
  for (const t of document.querySelectorAll('table'))
    if (!t.closest('.scroll') && boxes(t).right > main.right + 1) problems.push('a table sticks out of the page');
  return problems;
}"""


@pytest.fixture
def long_named_site(hand_warehouse, tmp_path):
    con, cfg = hand_warehouse
    from pipelines.config import Target

    for segment in cfg.segments:
        object.__setattr__(segment, "display_name", LONG_NAME)
        segment.targets.update({"retention_rate": Target(target=0.9), "contribution": Target(target=2.0),
                                "customers": Target(target=5)})
    object.__setattr__(cfg, "lapsed_display_name", LONG_NAME)
    pages.build_scorecard_table(con, cfg)
    return pages.render_site(pages.site_data(con, cfg), tmp_path / "long")


@pytest.mark.parametrize("width", [1400, 1920])
def test_a_40_character_segment_name_overlaps_nothing(browser, long_named_site, width):
    for name in ("index.html", "segment-vip.html", "segment-others.html", "lapsed.html"):
        page, _, _ = _visit(browser, long_named_site.parent / name, width=width)
        assert LONG_NAME in page.inner_text("body"), name
        assert page.evaluate(OVERLAPS) == [], name
        page.close()


@pytest.mark.parametrize("width", [1400, 1920])
def test_the_overview_keeps_room_for_the_segment_names(browser, cdnow_demo, width):
    """CDNOW's overview has equity intervals and 'targets met' beside the names: the figures wrap, the names do not."""
    _, outputs = cdnow_demo
    page, _, _ = _visit(browser, Path(outputs[0][-1].split()[-1]), width=width)
    widths = page.evaluate("() => [...document.querySelectorAll('table.overview tbody td:first-child')]"
                           ".map(td => td.getBoundingClientRect().width)")
    assert len(widths) == 4 and min(widths) >= 150, widths
    page.close()


@pytest.mark.parametrize("name", ["index.html", "segment-vip.html"])
def test_every_status_is_on_screen_at_phone_width(browser, long_named_site, name):
    page, _, _ = _visit(browser, long_named_site.parent / name, width=390)
    statuses = page.evaluate("() => [...document.querySelectorAll('.status')].map(s => { const r = s.getBoundingClientRect();"
                             " return [s.textContent.trim(), r.left, r.right, r.width]; })")
    assert statuses, name
    assert [s for s in statuses if s[1] < 0 or s[2] > 390 or s[3] == 0] == [], name
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


# Every text of the inline charts, at the size it is drawn on screen: its font size times the SVG's scale.
CHART_TEXT = """() => [...document.querySelectorAll('figure svg')].filter(svg => svg.getBoundingClientRect().width > 0).flatMap(svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return [...svg.querySelectorAll('text')].map(t => [t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale]);
})"""


@pytest.mark.parametrize("width", [390, 1400, 1920])
def test_chart_text_is_at_least_11_pixels_on_screen(browser, site, width):
    page, _, _ = _visit(browser, site.parent / "segment-vip.html", width=width)
    sizes = page.evaluate(CHART_TEXT)
    assert len(sizes) > 20  # the trends' titles and ticks and the waterfall's labels
    assert [(text, round(px, 1)) for text, px in sizes if px < 11] == []
    page.close()
    page, _, _ = _visit(browser, site, width=width)
    sizes = page.evaluate(CHART_TEXT)
    assert len(sizes) > 5  # the whale curve
    assert [(text, round(px, 1)) for text, px in sizes if px < 11] == []
    page.close()


# An A4 landscape sheet less the 10 mm margins (base.html.j2's @page), in CSS pixels: what a printed chart scales to.
PRINTED = {"width": round((297 - 20) / 25.4 * 96), "height": round((210 - 20) / 25.4 * 96)}


@pytest.mark.parametrize("name", ["print.html", "segment-vip.html"])
def test_chart_text_is_at_least_8_points_in_print(browser, site, name):
    """Under the print media, at the printed sheet's width: every chart text is 8 pt (10.7 CSS px) or more."""
    page = browser.new_page(viewport=PRINTED)
    page.emulate_media(media="print")
    page.goto((site.parent / name).as_uri())
    sizes = page.evaluate(CHART_TEXT)
    assert len(sizes) > 20, name
    assert [(text, round(px * 0.75, 1)) for text, px in sizes if px * 0.75 < 8] == [], name
    page.close()
