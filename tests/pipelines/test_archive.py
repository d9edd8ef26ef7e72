"""The scorecards of closed periods kept as published (pipelines/site/archive.py), on the CDNOW demo's warehouse."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import config
from pipelines.site import archive, pages

@pytest.fixture
def demo_copy(cdnow_demo, tmp_path):
    """A copy of the demo's warehouse (its connection holds the file) and its config: (connection, config)."""
    con, _ = cdnow_demo
    con.execute("checkpoint")
    demo = Path(con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0])
    database = tmp_path / "w.duckdb"
    shutil.copy(demo, database)
    path = tmp_path / "segprof.yaml"
    path.write_text((demo.parent / "segprof.yaml").read_text().replace(str(demo), str(database)))
    with duckdb.connect(str(database)) as copy:
        yield copy, config.load(path)


def _published(folder: Path, text: str, inputs: str) -> Path:
    """A kept period's folder as an earlier run left it, drawn from `inputs` (its manifest)."""
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(text, encoding="utf-8")
    (folder / "segment-vip.html").write_text(text + " vip", encoding="utf-8")
    (folder / archive.MANIFEST).write_text(json.dumps({"period": folder.name, "inputs": inputs}), encoding="utf-8")
    return folder


def _inputs(con, cfg) -> dict[str, str]:
    ends = {f"{d:%Y-%m}": d for d in archive._closed_period_ends(con, cfg)}
    return archive._inputs(con, ends)


def test_the_periods_closed_since_are_drawn_and_earlier_pages_carried_unchanged(demo_copy, tmp_path):
    con, cfg = demo_copy
    live = tmp_path / "live"
    may = _published(live / "periods" / "1998-05", "<p>May, kept earlier</p>", _inputs(con, cfg)["1998-05"])
    _published(live / "periods" / "notes", "<p>not a period</p>", "")  # not segprof's: neither carried nor listed

    kept = archive.render_archive(con, cfg, tmp_path / "new", live, "run-2")

    assert kept == [{"label": "1998-06", "name": "Jun 1998", "href": "periods/1998-06/index.html"},
                    {"label": "1998-05", "name": "May 1998", "href": "periods/1998-05/index.html"}]
    for name in ("index.html", "segment-vip.html"):  # the very files published before: not drawn again
        assert os.path.samefile(may / name, tmp_path / "new" / "periods" / "1998-05" / name)
    june = (tmp_path / "new" / "periods" / "1998-06" / "segment-vip.html").read_text(encoding="utf-8")
    assert f"The scorecards of Jun 1998 as published on {dt.date.today()}" in june
    assert 'href="../../index.html">The latest scorecards' in june
    assert "as of <strong>1998-06-30</strong>" in june
    # The period's own whale curve (the trailing twelve months end on the as-of date, which moves on).
    assert "Whale curve of the segment: Jun 1998" in june and "last twelve months" not in june
    assert {p.name for p in (tmp_path / "new" / "periods" / "1998-06").iterdir()} == {
        "index.html", "segment-vip.html", "segment-core.html", "segment-occasional.html", "lapsed.html", "print.html",
        "model.html", "actions-vip.csv", "actions-core.csv", "actions-occasional.csv", archive.MANIFEST}
    assert json.loads((tmp_path / "new" / "periods" / "1998-06" / archive.MANIFEST).read_text())["inputs"] == \
        _inputs(con, cfg)["1998-06"]


def test_a_period_whose_inputs_changed_is_drawn_again_with_its_restatement(demo_copy, tmp_path):
    """May's pages were drawn from other transactions than the warehouse's May figures now come from (a late record
    restated it): they are drawn again, with the note; April's inputs are unchanged, so its pages are kept."""
    con, cfg = demo_copy
    live, inputs = tmp_path / "live", _inputs(con, cfg)
    _published(live / "periods" / "1998-05", "<p>May, kept earlier</p>", "May before the late record")
    _published(live / "periods" / "1998-04", "<p>April, kept earlier</p>", inputs["1998-04"])
    _published(live / "periods" / "1998-06", "<p>June, kept earlier</p>", inputs["1998-06"])
    con.execute("insert into meta.runs by name select * replace ('restating' as run_id, now()::timestamp as finished_at, "
                "[date '1998-05-01', date '1998-06-01'] as restated, 'inputs changed in 1998-05' as restatement_reason) "
                "from meta.runs limit 1")

    archive.render_archive(con, cfg, tmp_path / "new", live, "restating")

    may = (tmp_path / "new" / "periods" / "1998-05" / "index.html").read_text(encoding="utf-8")
    assert "kept earlier" not in may and "As of <strong>1998-05-31</strong>" in may
    assert f"The run of {dt.date.today()} restated 1998-05, 1998-06 (inputs changed in 1998-05)." in may
    assert f"The scorecards of May 1998 as restated on {dt.date.today()}; later periods do not change them, and the " \
           "restatement is noted below." in may
    for label in ("1998-04", "1998-06"):
        assert "kept earlier" in (tmp_path / "new" / "periods" / label / "index.html").read_text(encoding="utf-8")


def test_a_kept_periods_pages_show_only_what_was_known_at_its_end(demo_copy):
    """The pages of 1998-03 read that period's rows: its KPI values, trends up to it, the refit that scored it."""
    con, cfg = demo_copy
    march = dt.date(1998, 3, 31)
    data = pages.site_data(con, cfg, march)
    assert data["as_of"] == march and data["provisional"] is None and data["restated"] == []
    vip = next(p for p in data["pages"] if p["name"] == "vip")
    stored = dict(con.execute("select kpi, value from scorecards.segment_scorecard where segment = 'vip' and period_end = ?",
                              [march]).fetchall())
    assert {t["kpi"]: t["value"] for t in vip["tiles"]} == stored
    assert all(str(later) not in "".join(vip["trends"]) for later in ("Apr 98", "May 98", "Jun 98"))
    refit = con.execute("select any_value(fitted_through) from clv.customer_clv where period_end = ?", [march]).fetchone()[0]
    assert refit == march and {m["period_end"] for m in data["models"]} == {refit}
    assert data["whale_window"] == "Mar 1998"
    assert data["whale"]["period_end"] == march and data["whale"]["window_name"] == "period"
