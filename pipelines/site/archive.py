"""The scorecards of closed periods, kept as published: periods/<period>/ inside the scorecards folder.

Every run that publishes keeps the pages of the latest closed period of its data; the pages kept by earlier runs are
carried forward from the live publication unchanged (hard links). So once May's pages were published they read the
same in July and next year. Only a restatement of May re-renders them, and then they say so. The archive starts with
the first publication: a backfill keeps the pages of its latest closed period, not of every period it computed
(their figures are in the warehouse and the BI snapshot).

A kept period's pages are rendered from that period's stored figures alone (pages.site_data with its period end: its
KPI rows and the ones before it, its own whale curves, the model that scored it), never from later data (docs/history.md).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb

from pipelines.config import Config
from pipelines.site import breakdowns, pages
from pipelines.warehouse import calendar, history

FOLDER = "periods"


def render_archive(con: duckdb.DuckDBPyConnection, config: Config, site: Path, previous: Path | None,
                   run_id: str | None) -> list[dict]:
    """Fill site/periods/: the live scorecards folder's (`previous`) kept periods carried forward, those this run
    restates and the latest closed period rendered. Returns the kept periods, newest first, for the index."""
    period = config.profit.period
    ends = {calendar.period_label(calendar.period_start(d, period), period): d for d in _closed_period_ends(con, config)}
    computed = set(history.dates_to_compute(con, config))
    carried = {p.name: p for p in (previous / FOLDER).iterdir() if (p / "index.html").is_file()} \
        if previous and (previous / FOLDER).is_dir() else {}
    latest = max(ends, key=ends.get) if ends else None
    model_pages: dict = {}  # periods scored by one refit share its Model page
    for label in sorted({*carried, *([latest] if latest else [])}):
        folder = site / FOLDER / label
        end = ends.get(label)
        if label in carried and (end is None or end not in computed):
            _carry(carried[label], folder)
            continue
        start = calendar.period_start(end, period)
        data = pages.site_data(con, config, end, model_pages)
        data.update(run_id=run_id, archive={"name": breakdowns.period_name(start, period), "latest": "../../index.html",
                                            "published": data["generated"].date()})
        pages.render_site(data, folder)
    return [{"label": f.name, "name": _name(f.name, period), "href": f"{FOLDER}/{f.name}/index.html"}
            for f in sorted((site / FOLDER).iterdir(), reverse=True)] if (site / FOLDER).is_dir() else []


def _closed_period_ends(con: duckdb.DuckDBPyConnection, config: Config) -> list[dt.date]:
    """The scoring dates that end a period (an as-of date inside a period is not one)."""
    period = config.profit.period
    return [d for d in calendar.read(con, config).scoring_dates
            if d == calendar.next_period_start(d, period) - dt.timedelta(days=1)]


def _name(label: str, period: str) -> str:
    """May 1998 for 1998-05, 1998 Q2 for 1998Q2; a label of another grain (kept from before a change) as it is."""
    try:
        if period == "month":
            start = dt.datetime.strptime(label, "%Y-%m").date()
        else:
            year, quarter = label.split("Q")
            start = dt.date(int(year), 3 * int(quarter) - 2, 1)
    except ValueError:
        return label
    return breakdowns.period_name(start, period)


def _carry(old: Path, new: Path) -> None:
    """The live folder's files in the new publication, unchanged: hard links, or copies where links cannot be made."""
    def link(source: str, target: str) -> None:
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    shutil.copytree(old, new, copy_function=link)
