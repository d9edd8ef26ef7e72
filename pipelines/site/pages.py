"""Segment scorecards: the KPI table in the warehouse and a static HTML site built from exactly that table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import jinja2
import polars as pl

from models.clv import BASELINES, MODEL_NAMES
from pipelines.config import Config
from pipelines.site import breakdowns, charts
from pipelines.site.kpis import BY_NAME, KPIS
from pipelines.warehouse import calendar
from pipelines.warehouse.database import create_tables, query, registered, replace_rows

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_TEXT = {"green": ("✓", "On target"), "amber": ("!", "Near target"), "red": ("✕", "Off target"), None: ("–", "No target")}
INTERVAL_DEFINITION = ("The equity interval is where the segment's customer equity lies with {level_percent:.0f} % probability given how "
                       "precisely the CLV model's parameters are estimated (docs/clv.md); it does not cover customers' own chance.")
TREND_KPIS = ("contribution", "customers", "customer_equity", "retention_rate")
# The equity bridge's flows: label, column, customers column, sign (lapsed and migrated out are stored as amounts lost).
BRIDGE_FLOWS = (("Acquired", "acquired", "acquired_customers", 1), ("Lapsed", "lapsed", "lapsed_customers", -1),
                ("Moved out", "migrated_out", "migrated_out_customers", -1),
                ("Moved in", "migrated_in", "migrated_in_customers", 1), ("Value change", "value_change", "stayers", 1))
# Why a customer is on the list, in a manager's words (the warehouse keeps the reason's code).
REASON_TEXT = {"p_alive drop": "p alive fell", "overdue": "overdue for their rhythm",
               "p_alive drop and overdue": "p alive fell; overdue"}
# Rows of a segment's action list on the print sheet (the segment page shows config scorecards.top_at_risk).
PRINT_ACTIONS = 5
ACTION_COLUMNS = ("rank", "customer_id", "suggested_action", "expected_loss", "clv_at_stake", "p_alive", "prior_p_alive", "reason",
                  "last_purchase", "days_since_last_purchase", "usual_gap_days", "value_tier", "prior_value_tier",
                  "current_segment")


def _settings(config: Config) -> tuple[pl.DataFrame, pl.DataFrame]:
    """KPI targets and definitions per segment, and segment managers, as frames for the SQL."""
    rows, info = [], []
    segments = [*config.segments, None]  # None: the lapsed segment, which has no manager or targets
    for segment in segments:
        name = segment.name if segment else config.lapsed_segment
        targets = {**config.scorecards.default_targets, **(segment.targets if segment else {})}
        for kpi in KPIS:
            target = targets.get(kpi.name)
            rows.append({
                "segment": name, "kpi": kpi.name, "label": kpi.label, "unit": kpi.unit,
                "better": (target.better if target and target.better else kpi.better), "definition": kpi.definition,
                "target": target.target if target else None, "amber_within": target.amber_within if target else None,
            })
        info.append({"segment": name, "manager": segment.manager.name if segment and segment.manager else None,
                     "manager_email": segment.manager.email if segment and segment.manager else None})
    return pl.DataFrame(rows, infer_schema_length=None), pl.DataFrame(info, infer_schema_length=None)


def build_scorecard_table(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    settings, info = _settings(config)
    create_tables(con, "scorecards/segment_scorecard")
    with registered(con, _kpi_settings=settings, _segment_info=info):
        replace_rows(con, "scorecards.segment_scorecard", "scorecards/insert_segment_scorecard")


def formatter(unit: str, currency: str):
    """How a KPI value is written: the one place numbers are turned into text. Money: whole units from
    {currency}1,000, cents below; a value that shows as zero is written without a sign (no "−0.0")."""
    def money(v):
        if round(v, 2) == 0:
            return f"{currency}0"
        sign = "−" if v < 0 else ""
        v = abs(v)
        if v >= 1e6:
            return f"{sign}{currency}{v / 1e6:,.2f}M"
        return f"{sign}{currency}{v:,.0f}" if v >= 1000 else f"{sign}{currency}{v:,.2f}"

    def signed(write, shown_zero):
        return lambda v: write(0) if shown_zero(v) else ("+" if v > 0 else "−") + write(abs(v))

    percent = lambda v: f"{v * 100:.1f} %".replace("-", "−") if round(v * 100, 1) != 0 else "0.0 %"  # noqa: E731
    return {
        "money": money,
        "count": lambda v: f"{v:,.0f}",
        "signed_count": signed(lambda v: f"{v:,.0f}", lambda v: round(v) == 0),
        "signed_money": signed(money, lambda v: round(v, 2) == 0),
        "percent": percent,
        "points": signed(lambda v: f"{v * 100:.1f} pts", lambda v: round(v * 100, 1) == 0),
    }[unit]


def _write(value, unit: str, currency: str) -> str:
    return "n/a" if value is None else formatter(unit, currency)(value)


def _change_text(change, unit: str, currency: str) -> str:
    if change is None:
        return "no prior period"
    text = formatter({"percent": "points", "money": "signed_money"}.get(unit, "signed_count"), currency)(change)
    arrow = "■" if text[0] not in "+−" else "▲" if change > 0 else "▼"
    return f"{arrow} {text}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    return env


def site_data(con: duckdb.DuckDBPyConnection, config: Config, period_end: dt.date | None = None,
              model_pages: dict | None = None) -> dict:
    """Everything the pages show, read back from the warehouse tables (never recomputed here).

    By default the pages of the latest date, with the whale curves of the trailing twelve months to it. With
    `period_end`, the archived pages of that closed period (archive.py): only rows stored for it and the periods
    before it, and the whale curves of the period itself, so that they depend on that period's frozen figures alone.
    `model_pages` caches the Model page by refit across calls.
    """
    currency = config.currency
    cards = pl.DataFrame(query(con, "scorecards/select_scorecard"), infer_schema_length=None)
    as_of = period_end or cards["period_end"].max()
    cards = cards.filter(pl.col("period_end") <= as_of)
    window = "period" if period_end else "trailing_12_months"
    managed = [s.name for s in config.segments]
    all_segments = [*managed, config.lapsed_segment]
    migration = query(con, "scorecards/migration_at", {"as_of": as_of})
    models = query(con, "scorecards/model_summary", {"as_of": as_of})
    whale_points = pl.DataFrame(query(con, "scorecards/whale_points", {"window_name": window, "as_of": as_of}),
                                infer_schema_length=None)
    whale_headlines = {r["scope"]: r for r in query(con, "scorecards/whale_headlines", {"window_name": window, "as_of": as_of})}
    described = {s.name: s for s in config.segments}

    equity_intervals = {r["segment"]: r for r in query(con, "scorecards/equity_intervals") if r["period_end"] == as_of}

    def interval_text(row: dict) -> str | None:
        """The customer equity tile's interval (models.clv.intervals), in words."""
        interval = equity_intervals.get(row["segment"]) if row["kpi"] == "customer_equity" else None
        if interval is None or interval["customer_equity_low"] is None:
            return None
        fmt = formatter("money", currency)
        return f"{config.clv.interval_level * 100:.0f} % interval {fmt(float(interval['customer_equity_low']))} – " \
               f"{fmt(float(interval['customer_equity_high']))}"

    def tiles(segment: str) -> list[dict]:
        current = cards.filter((pl.col("segment") == segment) & (pl.col("period_end") == as_of))
        out = []
        for row in current.iter_rows(named=True):
            icon, status_label = STATUS_TEXT[row["status"]]
            out.append({
                **row,
                "interval_text": interval_text(row),
                "value_text": _write(row["value"], row["unit"], currency),
                "target_text": _write(row["target"], row["unit"], currency) if row["target"] is not None else None,
                "change_text": _change_text(row["change"], row["unit"], currency),
                "status_icon": icon, "status_label": status_label, "status_class": row["status"] or "none",
            })
        order = {k.name: i for i, k in enumerate(KPIS)}
        return sorted(out, key=lambda t: order[t["kpi"]])

    def trends(segment: str) -> list[str]:
        history = cards.filter(pl.col("segment") == segment).sort("period_end")
        svgs = []
        for kpi in TREND_KPIS:
            rows = history.filter(pl.col("kpi") == kpi)
            svgs.append(charts.trend(f"{segment}-{kpi}", rows["period_start"].to_list(), rows["value"].to_list(),
                                     BY_NAME[kpi].label, formatter(BY_NAME[kpi].unit, currency),
                                     rows["target"][-1] if rows.height else None))
        return svgs

    def moves(segment: str) -> dict:
        into = [m for m in migration if m["to_segment"] == segment]
        out = [m for m in migration if m["from_segment"] == segment]
        fmt = formatter("money", currency)
        for m in into + out:
            m["clv_text"] = fmt(float(m["clv_moved"]))
            m["from_name"], m["to_name"] = config.display_name(m["from_segment"]), config.display_name(m["to_segment"])
        return {"into": into, "out": out,
                "into_total": sum(m["customers"] for m in into), "out_total": sum(m["customers"] for m in out)}

    bridges = {b["segment"]: b for b in query(con, "scorecards/equity_bridge_at", {"as_of": as_of})}

    def bridge(segment: str) -> dict | None:
        b = bridges.get(segment)
        if b is None:
            return None
        fmt, signed = formatter("money", currency), formatter("signed_money", currency)
        flows = [(label, float(b[column]) * sign, b[count], sign) for label, column, count, sign in BRIDGE_FLOWS]
        steps = [("Start", float(b["start_equity"]), "total"),
                 *((label.replace(" ", "\n"), amount, "flow") for label, amount, _, _ in flows),
                 ("End", float(b["end_equity"]), "total")]
        return {
            **b,
            "svg": charts.waterfall(f"{segment}-bridge", steps, fmt, signed),
            "rows": [{"label": label, "customers": customers, "amount_text": signed(amount)}
                     for label, amount, customers, _ in flows],
            "start_text": fmt(float(b["start_equity"])), "end_text": fmt(float(b["end_equity"])),
        }

    def actions(segment: str) -> list[dict]:
        """The whole list (for its count, total and CSV), with texts for the rows the pages show."""
        rows = query(con, "scorecards/action_list", {"segment": segment, "as_of": as_of})
        fmt = formatter("money", currency)
        for r in rows[:max(config.scorecards.top_at_risk, PRINT_ACTIONS)]:
            r["expected_loss_text"] = fmt(float(r["expected_loss"]))
            r["clv_text"] = fmt(float(r["clv_at_stake"]))
            r["p_alive_text"] = f"{r['p_alive'] * 100:.0f} %"
            r["prior_p_alive_text"] = f"{r['prior_p_alive'] * 100:.0f} %" if r["prior_p_alive"] is not None else "–"
            r["usual_gap_text"] = f"{r['usual_gap_days']:.0f} days" if r["usual_gap_days"] is not None else "–"
            r["current_name"] = config.display_name(r["current_segment"])
            r["reason_text"] = REASON_TEXT.get(r["reason"], r["reason"])
        return rows

    for m in models:
        m["name"] = MODEL_NAMES.get(m["model"], m["model"])
        errors = json.loads(m["parameter_standard_errors"] or "{}")
        m["estimates"] = [{"name": k, "value": f"{v:.4g}", "se": f"{errors[k]:.2g}" if k in errors else "–"}
                          for k, v in json.loads(m["parameters"]).items()]
        m["parameters"] = ", ".join(f"{k} = {v:.3g}" for k, v in json.loads(m["parameters"]).items())

    contribution = breakdowns.contribution_bridges(con, config, as_of, formatter)
    statements = breakdowns.pnl_statements(con, config, as_of, formatter)
    dimensions = breakdowns.dimension_tables(con, config, as_of, formatter)
    segment_whales = breakdowns.segment_whales(whale_points, managed)

    pages = []
    for segment in managed:
        s = described[segment]
        listed = actions(segment)
        pages.append({
            "name": segment, "display_name": config.display_name(segment), "description": s.description,
            "manager": s.manager.name if s.manager else None, "manager_email": s.manager.email if s.manager else None,
            "file": f"segment-{segment}.html", "tiles": tiles(segment), "trends": trends(segment), "moves": moves(segment),
            "actions": listed, "actions_total": formatter("money", currency)(sum(float(r["expected_loss"]) for r in listed)),
            "actions_file": f"actions-{segment}.csv", "bridge": bridge(segment),
            "whale": whale_headlines.get(segment),
            "contribution": contribution.get(segment), "pnl": statements.get(segment, []),
            "dimensions": dimensions.get(segment, []), "whale_svg": segment_whales.get(segment),
        })
    summary_kpis = ["customers", "revenue", "contribution", "contribution_per_customer", "customer_equity", "retention_rate"]
    overview = []
    for segment in all_segments:
        by_kpi = {t["kpi"]: t for t in tiles(segment)}
        overview.append({"name": segment, "display_name": config.display_name(segment),
                         "file": f"segment-{segment}.html" if segment in managed else "lapsed.html",
                         "targets": breakdowns.target_summary(tiles(segment)),
                         "manager": described[segment].manager.name if segment in described and described[segment].manager else None,
                         "cells": [by_kpi[k] for k in summary_kpis if k in by_kpi]})
    latest = cards.filter(pl.col("period_end") == as_of)
    totals = {
        "customers": latest.filter(pl.col("kpi") == "customers")["value"].sum(),
        "revenue": latest.filter(pl.col("kpi") == "revenue")["value"].sum(),
        "contribution": latest.filter(pl.col("kpi") == "contribution")["value"].sum(),
        "customer_equity": latest.filter(pl.col("kpi") == "customer_equity")["value"].sum(),
    }
    prior_totals = {k: latest.filter(pl.col("kpi") == k)["prior_value"] for k in totals}
    total_changes = {k: (None if prior_totals[k].null_count() == prior_totals[k].len()
                         else _change_text(totals[k] - prior_totals[k].sum(), "count" if k == "customers" else "money", currency))
                     for k in totals}
    all_points = whale_points.filter(pl.col("scope") == "all") if whale_points.height else whale_points
    return {
        "as_of": as_of,
        "period_start": latest["period_start"].min(),
        "period": config.profit.period,
        "currency": currency,
        "assumptions": config.profit.assumptions,
        "restated": _restated(con, config, as_of if period_end else None),
        "provisional": _provisional(as_of, config.profit.period),
        "cost_model": _cost_words(config),
        "kpis": KPIS,
        "pages": pages,
        "overview": overview,
        "overview_labels": [BY_NAME[k].label for k in summary_kpis],
        "totals": {k: formatter("count" if k == "customers" else "money", currency)(v) for k, v in totals.items()},
        "total_changes": total_changes,
        "lapsed_page": breakdowns.lapsed_page(con, config, as_of, formatter, config.scorecards.top_at_risk),
        "whale_svg": charts.whale("whale-all", all_points["customer_share"].to_list(), all_points["cumulative_share"].to_list())
        if all_points.height else None,
        "whale": whale_headlines.get("all"),
        "whale_window": breakdowns.period_name(latest["period_start"].min(), config.profit.period) if period_end
        else "the last twelve months",
        "archive": None,  # set by archive.py on the pages of a closed period kept as published
        "earlier": [],    # the archived periods the latest pages link to (archive.py)
        "models": models,
        "model_page": _cached_model_page(con, as_of, model_pages),
        "lapsed": config.lapsed_segment,
        "p_alive_threshold": config.clv.inactive_below_p_alive,
        "horizon_months": config.clv.horizon_months,
        "clv_value": config.clv.value,
        "margin_rate": config.clv.margin_rate,
        "interval_definition": INTERVAL_DEFINITION.format(level_percent=config.clv.interval_level * 100),
        "recent_days": config.at_risk.recent_days,
        "top_actions": config.scorecards.top_at_risk,
        "print_actions": PRINT_ACTIONS,
        "generated": dt.datetime.now().replace(microsecond=0),
        "run_id": None,  # set by the publication, which writes the same id into meta.runs
    }


def _cached_model_page(con: duckdb.DuckDBPyConnection, as_of: dt.date, cache: dict | None) -> dict | None:
    """model_page(as_of), once per refit when a cache is given: the dates one refit scored share its page."""
    if cache is None:
        return model_page(con, as_of)
    refit = tuple(query(con, "scorecards/refit_of", {"as_of": as_of})[0].values())
    if refit not in cache:
        cache[refit] = model_page(con, as_of)
    return cache[refit]


def model_page(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict | None:
    """The Model page: the selection of the refit that scored `as_of` and its evidence, read from the clv tables
    (None before a backtest)."""
    params = {"as_of": as_of}
    selection = query(con, "scorecards/model_selection", params)
    if not selection:
        return None
    for row in selection:
        row["name"] = MODEL_NAMES.get(row["model"], row["model"])
        row["baseline"] = row["model"] in BASELINES
    models = [r["model"] for r in selection if not r["baseline"]]
    chosen = next((r["model"] for r in selection if r["chosen"]), models[0] if models else None)
    by_frequency = pl.DataFrame(query(con, "scorecards/model_by_frequency", params), infer_schema_length=None)
    by_decile = pl.DataFrame(query(con, "scorecards/model_by_decile", params), infer_schema_length=None)
    tracking = pl.DataFrame(query(con, "scorecards/model_tracking", params), infer_schema_length=None)
    page = {"selection": selection, "chosen": MODEL_NAMES.get(chosen, chosen), "frequency_rows": [], "decile_rows": [],
            "frequency_svg": None, "decile_svg": None, "tracking_svg": None}
    if by_frequency.height:
        wide = by_frequency.filter(pl.col("model").is_in(models)).pivot(
            on="model", index=["calibration_frequency", "customers", "actual"], values="predicted", aggregate_function="first")
        page["frequency_models"] = [MODEL_NAMES[m] for m in models]
        page["frequency_rows"] = [{"label": r["calibration_frequency"], "customers": r["customers"], "actual": r["actual"],
                                   "predicted": [r[m] for m in models]} for r in wide.iter_rows(named=True)]
        page["frequency_svg"] = charts.actual_vs_predicted(
            "model-frequency", wide["calibration_frequency"].to_list(), wide["actual"].to_list(),
            {MODEL_NAMES[m]: wide[m].to_list() for m in models}, "repeat purchases in calibration")
    if by_decile.height and chosen:
        deciles = by_decile.filter(pl.col("model") == chosen).sort("decile")
        page["decile_rows"] = deciles.to_dicts()
        page["decile_svg"] = charts.actual_vs_predicted(
            "model-decile", [str(d) for d in deciles["decile"]], deciles["actual"].to_list(),
            {MODEL_NAMES[chosen]: deciles["predicted"].to_list()}, f"decile of predicted purchases under {MODEL_NAMES[chosen]} (1 = highest)")
    page["groups"] = _group_comparison(con, as_of)
    if tracking.height:
        named = tracking.with_columns(model=pl.col("model").replace_strict(MODEL_NAMES, default=pl.col("model")))
        page["tracking_svg"] = charts.tracking_svg("model-tracking", named)
    return page


def _group_comparison(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict | None:
    """Pooled against by group at the refit that scored `as_of` (config clv.fit_by), and the groups' own fits; None
    without."""
    rows = query(con, "scorecards/model_groups", {"as_of": as_of})
    ways = [{**r, "name": {"pooled": "one fit for all customers", "by_group": "one fit per group"}[r["model"]]}
            for r in rows if r["stage"] == "group_comparison"]
    if not ways:
        return None
    fits = [{**r, "estimates": ", ".join(f"{k} {v:.4g}" for k, v in json.loads(r["parameters"]).items())}
            for r in rows if r["stage"] == "final"]
    return {"ways": ways, "fits": fits, "reason": next((r["note"] for r in ways if r["note"]), None)}


def _provisional(as_of: dt.date, period: str) -> dict | None:
    """The as-of date's period while it is still open (the data stops before its last day); None once it closed."""
    start, following = calendar.period_start(as_of, period), calendar.next_period_start(as_of, period)
    if calendar.is_period_end(as_of, period):
        return None
    return {"label": calendar.period_label(start, period), "start": start, "through": as_of,
            "days": (as_of - start).days + 1, "of": (following - start).days}


def _restated(con: duckdb.DuckDBPyConnection, config: Config, period_end: dt.date | None = None) -> list[dict]:
    """The restatements of published figures, newest first (meta.runs, written for this run before the pages are
    rendered; docs/history.md): when, which periods, why, and whether it was this run. With `period_end`, for the
    archived pages of that period: only the restatements of it, each named by its date."""
    columns = {r["column_name"] for r in query(con, "warehouse/table_columns", {"schema": "meta", "table": "runs"})}
    if "restatement_reason" not in columns:
        return []
    period = config.profit.period
    start = calendar.period_start(period_end, period) if period_end else None
    return [{"on": r["finished_at"].date(), "this_run": r["this_run"] and not period_end, "reason": r["restatement_reason"],
             "periods": [calendar.period_label(p, period) for p in r["restated"]]}
            for r in query(con, "scorecards/restatements") if start is None or start in r["restated"]]


def _cost_words(config: Config) -> list[str]:
    """The cost model in plain words."""
    p, c = config.profit, config.currency

    def share(t):
        extra = ", ".join(f"{k} {v:.0%}" for k, v in t.by.items())
        return f"{t.default:.0%} of sales" + (f" ({extra})" if extra else "")

    cogs = (f"the source's unit cost × quantity (lines without one: {share(p.cogs.rate)})"
            if p.cogs.method == "unit_cost" else share(p.cogs.rate))
    words = [
        f"Cost of goods: {cogs}; returned goods are not credited back.",
        f"Cost to serve: {c}{p.cost_to_serve.per_order.default:.2f} per order and {c}{p.cost_to_serve.per_line.default:.2f} per line"
        + (" (varying by channel)" if p.cost_to_serve.per_order.by or p.cost_to_serve.per_line.by else "") + ".",
        f"Returns: the refunded amount plus {c}{p.returns.handling_per_return:.2f} handling per returned line.",
        f"Marketing: {c}{p.marketing.per_customer_per_period.default:.2f} per customer per {p.period}"
        + (" (varying by acquisition channel)" if p.marketing.per_customer_per_period.by else "")
        + f", until {p.marketing.active_months} months after their last purchase.",
    ]
    if p.overhead.amount_per_period:
        words.append(f"Overhead: {c}{p.overhead.amount_per_period:,.0f} per {p.period}, allocated by {p.overhead.key}, "
                     "reported apart from contribution.")
    return words


def _write_actions(rows: list[dict], path: Path) -> None:
    """A segment's whole action list as CSV, for the manager's own tools (money as plain decimals, dates ISO)."""
    columns = {c: [r[c] for r in rows] for c in ACTION_COLUMNS}
    pl.DataFrame(columns, strict=False).write_csv(path)


def render_site(data: dict, out_dir: Path) -> Path:
    """Write index.html, one page per segment, print.html and the Model page into out_dir; returns the index path.

    The run's publication gives it a new folder; pipelines/warehouse/publish.py switches it in with the snapshot.
    """
    env = _environment()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "index.html").write_text(env.get_template("index.html.j2").render(**data), encoding="utf-8")
    for page in data["pages"]:
        (out_dir / page["file"]).write_text(env.get_template("segment.html.j2").render(page=page, **data), encoding="utf-8")
        _write_actions(page["actions"], out_dir / page["actions_file"])
    (out_dir / data["lapsed_page"]["file"]).write_text(
        env.get_template("lapsed.html.j2").render(page=data["lapsed_page"], **data), encoding="utf-8")
    (out_dir / "print.html").write_text(env.get_template("print.html.j2").render(**data), encoding="utf-8")
    if data.get("model_page"):
        (out_dir / "model.html").write_text(env.get_template("model.html.j2").render(page=data["model_page"], **data), encoding="utf-8")
    return out_dir / "index.html"


def statuses(con: duckdb.DuckDBPyConnection, config: Config) -> dict[str, int]:
    """How many of the segment pages' KPI tiles are green, amber, red or without a target ("none"), from the table the
    pages show: the scorecard's run metadata, without building the pages."""
    managed = [s.name for s in config.segments]
    return {r["status"]: r["tiles"] for r in query(con, "scorecards/scorecard_statuses", {"managed": managed})}
