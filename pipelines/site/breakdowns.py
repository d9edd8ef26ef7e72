"""What explains a segment's figures, read from the warehouse for its page: the contribution bridge, the P&L statement,
the P&L by customer dimension and the segment's whale curve; the lapsed customers' page; the index's target summary."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from pipelines.config import Config
from pipelines.site import charts
from pipelines.warehouse.database import query, staged

# The contribution bridge's effects in the order they are applied: label, column, the chart's label.
CONTRIBUTION_EFFECTS = (("Active customers", "customer_count_effect", "Active\ncust."),
                        ("Revenue per active customer", "revenue_per_customer_effect", "Revenue\nper cust."),
                        ("Margin", "margin_effect", "Margin"), ("Cost to serve", "cost_to_serve_effect", "Cost to\nserve"),
                        ("Returns", "returns_effect", "Returns"), ("Marketing", "marketing_effect", "Mar-\nketing"))
DIMENSIONS = (("channel", "Channel of acquisition"), ("region", "Region"), ("category", "Category"))
STATUS_ORDER = {"red": 0, "amber": 1, "green": 2}
# Lapsed customers who could be won back: those who lapsed within this many periods.
WIN_BACK_PERIODS = 3


def period_name(start: dt.date, period: str) -> str:
    """May 1998 for a month, 1998 Q2 for a quarter."""
    return f"{start:%b %Y}" if period == "month" else f"{start.year} Q{(start.month - 1) // 3 + 1}"


def contribution_bridges(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date, formatter) -> dict[str, dict]:
    """Per segment: the bridge against the prior period drawn as a waterfall, and a table beside it with the year-ago
    bridge where the data reaches back a year."""
    money, signed = formatter("money", config.currency), formatter("signed_money", config.currency)
    rows: dict[str, dict[str, dict]] = {}
    for r in query(con, "scorecards/contribution_bridge_at", {"as_of": as_of}):
        rows.setdefault(r["segment"], {})[r["basis"]] = r
    out = {}
    for segment, bases in rows.items():
        prior, year_ago = bases.get("prior_period"), bases.get("year_ago")
        shown = prior or year_ago
        columns = [b for b in (prior, year_ago) if b]
        names = [period_name(b["base_period_start"], config.profit.period) for b in columns]
        steps = [(names[0], float(shown["base_contribution"]), "total"),
                 *((short, float(shown[column]), "flow") for _, column, short in CONTRIBUTION_EFFECTS),
                 (period_name(shown["period_start"], config.profit.period), float(shown["contribution"]), "total")]
        out[segment] = {
            "svg": charts.waterfall(f"{segment}-contribution", steps, money, signed),
            "basis_names": names,
            "start_rows": [money(float(b["base_contribution"])) for b in columns],
            "rows": [{"label": label, "key": column, "amounts": [signed(float(b[column])) for b in columns]}
                     for label, column, _ in CONTRIBUTION_EFFECTS],
            "end_text": money(float(shown["contribution"])),
            "change_texts": [signed(float(b["contribution"] - b["base_contribution"])) for b in columns],
            "active": [f"{b['base_active_customers']:,} → {b['active_customers']:,}" for b in columns],
            "period_name": period_name(shown["period_start"], config.profit.period),
            "has_year_ago": year_ago is not None,
        }
    return out


def pnl_statements(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date, formatter) -> dict[str, list[dict]]:
    """Per segment: its P&L for the period from revenue to profit after overhead, with the returns rate."""
    money = formatter("money", config.currency)
    percent = formatter("percent", config.currency)
    out = {}
    for r in query(con, "scorecards/segment_pnl_at", {"as_of": as_of}):
        lines = [("Revenue", r["revenue"], 1, "revenue"), ("Cost of goods", r["cogs"], -1, "cogs"),
                 ("Cost to serve", r["cost_to_serve"], -1, "cost_to_serve"), ("Returns", r["returns_cost"], -1, "returns_cost"),
                 ("Marketing", r["marketing_cost"], -1, "marketing_cost"), ("Contribution", r["contribution"], 1, "contribution"),
                 ("Overhead", r["overhead_cost"], -1, "overhead_cost"),
                 ("Profit after overhead", r["profit_after_overhead"], 1, "profit_after_overhead")]
        statement = [{"label": label, "key": key, "text": money(float(v) * sign) if v else money(0),
                      "total": key in ("contribution", "profit_after_overhead"), "note": False} for label, v, sign, key in lines]
        returns_rate = percent(r["returns_rate"]) if r["returns_rate"] is not None else "n/a"
        statement.insert(4, {"label": "Returns rate (refunds / revenue)", "key": "returns_rate", "text": returns_rate,
                             "total": False, "note": True})
        out[r["segment"]] = statement
    return out


def dimension_tables(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date, formatter) -> dict[str, list[dict]]:
    """Per segment: one table per dimension that has more than one value among the segment's customers (a dimension the
    data lacks, as CDNOW's channel, region and category, shows no one-row table)."""
    money, percent = formatter("money", config.currency), formatter("percent", config.currency)
    frame = pl.DataFrame(query(con, "scorecards/dimension_profit_at", {"as_of": as_of}), infer_schema_length=None)
    out: dict[str, list[dict]] = {}
    if frame.is_empty():
        return out
    for (segment,), rows in frame.group_by("segment", maintain_order=True):
        tables = []
        for dimension, title in DIMENSIONS:
            values = rows.filter(pl.col("dimension") == dimension)
            if values.height < 2:
                continue
            total = float(values["contribution"].sum())
            tables.append({"dimension": dimension, "title": title, "rows": [{
                "value": v["value"], "customers": f"{v['customers']:,}", "active": f"{v['active_customers']:,}",
                "revenue": money(float(v["revenue"])), "contribution": money(float(v["contribution"])),
                "share": percent(float(v["contribution"]) / total) if total > 0 else "–",
                "profit_after_overhead": money(float(v["profit_after_overhead"])),
                "returns_rate": percent(v["returns_rate"]) if v["returns_rate"] is not None else "n/a",
            } for v in values.iter_rows(named=True)]})
        out[segment] = tables
    return out


def segment_whales(whale_points: pl.DataFrame, segments: list[str]) -> dict[str, str]:
    """Per segment: its own whale curve over the trailing twelve months (profit.whale_curve, scope = the segment)."""
    out = {}
    for segment in segments:
        points = whale_points.filter(pl.col("scope") == segment) if whale_points.height else whale_points
        if points.height:
            out[segment] = charts.whale(f"whale-{segment}", points["customer_share"].to_list(), points["cumulative_share"].to_list(),
                                        "segment contribution")
    return out


def target_summary(tiles: list[dict]) -> dict:
    """How many of a segment's KPI targets are met, and the KPI furthest off target first."""
    targeted = [t for t in tiles if t["status"] in STATUS_ORDER]
    met = sum(t["status"] == "green" for t in targeted)

    def shortfall(t):
        gap = (t["target"] - t["value"]) if t["better"] == "higher" else (t["value"] - t["target"])
        return gap / abs(t["target"]) if t["target"] else gap

    ranked = sorted(targeted, key=lambda t: (STATUS_ORDER[t["status"]], -shortfall(t)))
    return {"met": met, "targets": len(targeted), "text": f"{met} of {len(targeted)}" if targeted else "no targets",
            "worst": ranked[0] if ranked and ranked[0]["status"] != "green" else None}


def lapsed_page(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date, formatter, top: int) -> dict:
    """The lapsed customers: which managed segment they were in, what they were worth then and in all, and who lapsed
    recently with most value (those worth a win-back offer)."""
    money = formatter("money", config.currency)
    dates = sorted({r["period_end"] for r in query(con, "scorecards/scoring_dates", {"as_of": as_of})})
    recent_from = dates[-WIN_BACK_PERIODS] if len(dates) >= WIN_BACK_PERIODS else (dates[0] if dates else as_of)
    params = {"as_of": as_of, "lapsed": config.lapsed_segment, "recent_from": recent_from, "top": top}
    with staged(con, "_lapsed_customers", "scorecards/lapsed_customers", params):
        groups = query(con, "scorecards/lapsed_by_segment", params)
        recent = query(con, "scorecards/lapsed_win_back", params)
    total = next(g for g in groups if g["is_total"])
    summary = [{
        "segment": g["former_segment"],
        "name": config.display_name(g["former_segment"]) if g["former_segment"] else "never in a managed segment",
        "customers": g["customers"], "this_period": g["this_period"], "recent": g["recent"],
        "clv_before": money(float(g["clv_before_lapsing"])), "lifetime_revenue": money(float(g["lifetime_revenue"])),
        "lifetime_contribution": money(float(g["lifetime_contribution"])),
    } for g in groups if not g["is_total"]]
    win_back = [{
        "rank": rank, "customer_id": r["customer_id"], "former_name": config.display_name(r["former_segment"]),
        "tier": r["tier_before_lapsing"], "lapsed_on": r["lapsed_on"], "clv_before": money(float(r["clv_before_lapsing"])),
        "lifetime_contribution": money(float(r["lifetime_contribution"])),
        "p_alive": f"{r['p_alive'] * 100:.0f} %" if r["p_alive"] is not None else "–",
        "last_purchase": r["last_purchase"], "purchase_days": r["purchase_days"],
    } for rank, r in enumerate(recent, start=1)]
    return {
        "name": config.lapsed_segment, "display_name": config.display_name(config.lapsed_segment), "file": "lapsed.html",
        "customers": total["customers"], "summary": summary, "win_back": win_back, "recent_from": recent_from,
        "win_back_periods": WIN_BACK_PERIODS,
        "lifetime_contribution": money(float(total["lifetime_contribution"])),
        "clv_before": money(float(total["clv_before_lapsing"])),
    }
