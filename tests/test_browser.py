"""What a person sees: the scorecards in headless Chromium, offline, and printed to PDF."""

import re
import shutil

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
    for name in ("index.html", "segment-vip.html", "segment-others.html"):
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
    page, _, _ = _visit(browser, site.parent / "segment-vip.html", width=390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_print_gives_one_page_per_segment(browser, site):
    page, _, _ = _visit(browser, site.parent / "print.html")
    assert _pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True)) == 2


def test_cdnow_print_gives_one_page_per_segment(browser, cdnow_demo):
    con, outputs = cdnow_demo
    index = outputs[0][-1].split()[-1]
    from pathlib import Path

    page, requests, problems = _visit(browser, Path(index))
    assert problems == [] and len(requests) == 1
    assert page.locator("tr[data-segment]").count() == 4
    page, _, _ = _visit(browser, Path(index).parent / "print.html")
    assert _pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True)) == 3
