"""Point-in-time history: which scoring dates a run computes, and which published figures it restates.

A scoring date's figures (RFM, CLV, segments, customer P&L) are computed from the data up to that date and the
model refitted on or before it (calendar.refit_date), so they only change when their inputs do. A run computes
the dates that are new, still open, or whose inputs (the accepted transactions up to the date, by period
fingerprint) or settings (Config.history_hash) changed since the last published run, and the ones it is asked to
restate; every other date keeps its stored rows. Recomputing a closed period that was published is a restatement:
announced in the run summary, meta.runs.restated and the scorecards, or refused when history.restatement is forbid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from pipelines.config import Config
from pipelines.errors import SegprofError
from pipelines.warehouse import calendar
from pipelines.warehouse.database import create_tables, query, run, Scope, scope


@dataclass(frozen=True)
class Plan:
    scoring: list[dt.date]   # every scoring date, in order
    compute: list[dt.date]   # the ones this run computes
    restated: list[dt.date]  # first days of the closed periods whose published figures this run replaces
    reason: str              # why they are restated ("" when none)


def plan(con: duckdb.DuckDBPyConnection, config: Config, restate: tuple[dt.date, dt.date] | None = None) -> Plan | None:
    """Decide the run's dates from meta.period_fingerprints (just compared with the published ones) and the stored
    scores, and record the decision there (recompute, restated) for every asset of the run to read. None without
    accepted transactions (the next step says so)."""
    try:
        cal = calendar.read(con, config)
    except SegprofError:
        return None
    period = config.profit.period
    periods = {row["period_start"]: row for row in query(con, "ingest/history_periods")}
    stored = _stored_dates(con)

    def asked(day: dt.date) -> bool:
        return restate is not None and restate[0] <= day and calendar.period_start(day, period) <= restate[1]

    def keep(day: dt.date) -> bool:
        row = periods.get(calendar.period_start(day, period))
        return bool(row and row["closed"] and row["unchanged"] and day in stored and not asked(day))

    if restate is not None and not any(asked(d) for d in cal.scoring_dates):
        first, last = (calendar.period_label(calendar.period_start(d, period), period) for d in (cal.scoring_dates[0], cal.scoring_dates[-1]))
        asked_for = f"{restate[0]} to {restate[1]}" if restate[1] < dt.date.max else f"from {restate[0]}"
        raise SegprofError(f"--restate {asked_for}: no period of the data falls in it (the periods run from {first} to {last}), "
                           "so nothing was restated or published.")
    compute = [d for d in cal.scoring_dates if not keep(d)]
    restated = [p for p in (calendar.period_start(d, period) for d in compute) if periods.get(p, {}).get("published_closed")]
    reasons, remedies = [], []
    if any(periods[p]["settings_changed"] for p in restated):
        reasons.append("settings changed")
        remedies.append("restore the settings as they were")
    changed = [calendar.period_label(r["period_start"], period) for r in query(con, "ingest/changed_periods")]
    if changed:
        reasons.append(f"inputs changed in {', '.join(changed)}")
        remedies.append("restore the source files as they were")
    if restate is not None:
        reasons.append("restatement asked for")
        remedies.append("run without --restate")
    reason = ", ".join(reasons) or ("stored figures missing" if restated else "")
    remedy = ", or ".join([*remedies, "set history.restatement: allow to restate these periods"])
    _record(con, config, compute, restated, reason, f"{remedy[0].upper()}{remedy[1:]}.")
    return Plan(cal.scoring_dates, compute, restated, reason)


def record_backfill(con: duckdb.DuckDBPyConnection, config: Config, dates: list[dt.date]) -> None:
    """Make `dates` the run's plan: a run over chosen period partitions (a backfill from the Dagster UI) computes exactly
    them. The closed periods among them that were published are restated, or refused under history.restatement: forbid."""
    period = config.profit.period
    published = {row["period_start"] for row in query(con, "ingest/history_periods") if row["published_closed"]}
    restated = sorted({calendar.period_start(d, period) for d in dates} & published)
    _record(con, config, dates, restated, "backfill of chosen periods",
            "Backfill only open or unpublished periods, or set history.restatement: allow to restate these periods.")


def _record(con: duckdb.DuckDBPyConnection, config: Config, compute: list[dt.date], restated: list[dt.date], reason: str,
            remedy: str) -> None:
    """Record the plan in meta.period_fingerprints (recompute, restated) for every step of the run to read, after refusing
    a restatement history.restatement forbids."""
    period = config.profit.period
    if restated and config.history.restatement == "forbid":
        labels = ", ".join(calendar.period_label(p, period) for p in restated)
        raise SegprofError(f"this run would restate closed periods {labels} ({reason}); history.restatement is 'forbid' in "
                           f"{config.file}, so nothing was published. {remedy}")
    run(con, "ingest/plan_periods", {"recompute": [calendar.period_start(d, period) for d in compute], "restated": restated,
                                     "reason": reason or None})


def dates_to_compute(con: duckdb.DuckDBPyConnection, config: Config) -> list[dt.date]:
    """The scoring dates the run's plan computes (all of them when no plan was made, e.g. a partial --select run)."""
    scoring = calendar.read(con, config).scoring_dates
    planned = {row["period_start"] for row in query(con, "ingest/recompute_periods")} if _has_plan(con) else None
    if planned is None:
        return scoring
    return [d for d in scoring if calendar.period_start(d, config.profit.period) in planned]


def _has_plan(con: duckdb.DuckDBPyConnection) -> bool:
    create_tables(con, "ingest/period_fingerprints")
    return query(con, "ingest/history_plan_made")[0]["planned"]


def with_next(dates: list[dt.date], scoring: list[dt.date]) -> list[dt.date]:
    """`dates` and the scoring date just after each: what a table comparing each date with the prior one recomputes."""
    computed = set(dates)
    return [d for i, d in enumerate(scoring) if d in computed or (i and scoring[i - 1] in computed)]


def replaced(con: duckdb.DuckDBPyConnection, table: str, column: str, compute: list, scoring: list) -> Scope:
    """The rows a write of `compute` replaces in `table`: those days, and stored days that are no longer scoring
    days (an open period's provisional as-of date once the period has moved on)."""
    stale = [r["day"] for r in query(con, "warehouse/stored_dates", {"table": table}, column=column) if r["day"] not in set(scoring)]
    return scope(column, *sorted({*compute, *stale}))


def _stored_dates(con: duckdb.DuckDBPyConnection) -> set[dt.date]:
    """The scoring dates the warehouse holds figures for (RFM, and scores unless no model could score the date);
    none when clv.customer_clv holds scores of the versions that scored history with the latest fit."""
    def columns(table: str) -> set[str]:
        return {r["column_name"] for r in query(con, "warehouse/table_columns", {"schema": "clv", "table": table})}

    scores = columns("customer_clv")
    if not columns("customer_rfm") or (scores and ("fitted_through" not in scores or query(con, "clv/look_ahead_scores")[0]["rows"])):
        return set()
    return {row["day"] for row in query(con, "warehouse/stored_dates", {"table": "clv.customer_rfm"}, column="period_end")}
