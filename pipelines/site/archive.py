"""The scorecards of closed periods, kept as published: periods/<period>/ inside the scorecards folder.

Each run that publishes draws the pages of the periods that closed since the last publication (the latest closed
period only, at the first publication: a backfill does not draw every period it computed; their figures are in the
warehouse and the BI snapshot). The pages kept by earlier runs are carried forward from the live publication
unchanged (hard links), so once May's pages were published they read the same in July and next year.

A kept folder records the inputs its figures came from (MANIFEST: a digest of the accepted transactions of the period
and every earlier one, and of the settings, from meta.period_fingerprints). When they differ now, the period's figures
were recomputed from other data or settings (a restatement), and its pages are drawn again, with the note.

A kept period's pages are drawn from that period's stored figures alone (pages.site_data with its period end: its
KPI rows and the ones before it, its own whale curves, the model that scored it), never from later data (docs/history.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from pipelines.config import Config
from pipelines.site import breakdowns, pages
from pipelines.warehouse import calendar
from pipelines.warehouse.database import query

FOLDER = "periods"
MANIFEST = ".segprof-period.json"


def render_archive(con: duckdb.DuckDBPyConnection, config: Config, site: Path, previous: Path | None,
                   run_id: str | None) -> list[dict]:
    """Fill site/periods/: the live scorecards folder's (`previous`) kept periods carried forward, drawn again where
    their inputs changed, and the periods closed since drawn. Returns the kept periods, newest first, for the index."""
    period = config.profit.period
    ends = {calendar.period_label(calendar.period_start(d, period), period): d for d in _closed_period_ends(con, config)}
    inputs = _inputs(con, ends)
    carried = {p.name: p for p in sorted((previous / FOLDER).iterdir()) if _is_kept(p, period)} \
        if previous and (previous / FOLDER).is_dir() else {}
    newest_kept = max((ends[label] for label in carried if label in ends), default=None)
    new = [label for label, end in ends.items() if newest_kept and end > newest_kept] or ([max(ends, key=ends.get)] if ends else [])
    model_pages: dict = {}  # periods scored by one refit share its Model page
    for label in sorted({*carried, *new}):
        folder = site / FOLDER / label
        if label in carried and (label not in ends or _manifest(carried[label]).get("inputs") == inputs[label]):
            _carry(carried[label], folder)
            continue
        start = calendar.period_start(ends[label], period)
        data = pages.site_data(con, config, ends[label], model_pages)
        data.update(run_id=run_id, archive={"name": breakdowns.period_name(start, period), "latest": "../../index.html",
                                            "published": data["generated"].date(), "redrawn": label in carried})
        pages.render_site(data, folder)
        (folder / MANIFEST).write_text(json.dumps({"period": label, "inputs": inputs[label], "run_id": run_id}) + "\n",
                                       encoding="utf-8")
    kept = sorted((site / FOLDER).iterdir(), reverse=True) if (site / FOLDER).is_dir() else []
    return [{"label": p.name, "name": _name(p.name, period) or p.name, "href": f"{FOLDER}/{p.name}/index.html"} for p in kept]


def _closed_period_ends(con: duckdb.DuckDBPyConnection, config: Config) -> list[dt.date]:
    """The scoring dates that end a period (an as-of date inside a period is not one)."""
    period = config.profit.period
    return [d for d in calendar.read(con, config).scoring_dates if calendar.is_period_end(d, period)]


def _inputs(con: duckdb.DuckDBPyConnection, ends: dict[str, dt.date]) -> dict[str, str]:
    """Per closed period: a digest of the fingerprints of it and every earlier period, and of its settings digest."""
    chain, out = hashlib.sha256(), {}
    by_end = {end: label for label, end in ends.items()}
    for row in query(con, "scorecards/period_inputs"):
        chain.update(f"{row['fingerprint']};".encode())
        if row["period_end"] in by_end:
            out[by_end[row["period_end"]]] = hashlib.sha256(chain.digest() + str(row["history_hash"]).encode()).hexdigest()
    return {label: out.get(label, "") for label in ends}


def _manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _is_kept(folder: Path, period: str) -> bool:
    """A folder of kept pages: a real folder named like a period, with an index (anything else there is not carried)."""
    return folder.is_dir() and not folder.is_symlink() and (folder / "index.html").is_file() and \
        any(_name(folder.name, grain) for grain in ("month", "quarter"))


def _name(label: str, period: str) -> str | None:
    """May 1998 for 1998-05 by month, 1998 Q2 for 1998Q2 by quarter; None for a label of the other grain."""
    try:
        if period == "month":
            start = dt.datetime.strptime(label, "%Y-%m").date()
        else:
            year, quarter = label.split("Q")
            start = dt.date(int(year), 3 * int(quarter) - 2, 1)
    except ValueError:
        return None
    return breakdowns.period_name(start, period)


def _carry(old: Path, new: Path) -> None:
    """The live folder's files in the new publication, unchanged: hard links, or copies where links cannot be made."""
    def link(source: str, target: str) -> None:
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    shutil.copytree(old, new, symlinks=True, copy_function=link)
