"""Charts rendered with matplotlib (Agg backend, no display): PNG for Dagster metadata, inline SVG for the scorecards."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import polars as pl  # noqa: E402


def _png_markdown(fig, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f"![{alt}](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()})"


def repeat_purchase_histograms(histograms: dict[str, pl.DataFrame], title: str) -> str:
    """Actual vs expected customers by number of calibration repeat purchases, one bar group per model."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    first = next(iter(histograms.values()))
    labels = first["repeat_purchases"].to_list()
    width = 0.8 / (len(histograms) + 1)
    positions = range(len(labels))
    ax.bar([p - 0.4 + width / 2 for p in positions], first["actual"].to_list(), width, label="actual", color="#222222")
    for i, (model, frame) in enumerate(histograms.items(), start=1):
        ax.bar([p - 0.4 + width / 2 + i * width for p in positions], frame["expected"].to_list(), width, label=model)
    ax.set_xticks(list(positions), labels)
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("customers")
    ax.set_title(title)
    ax.legend(frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png_markdown(fig, title)


def _draw_tracking(ax, frame: pl.DataFrame) -> None:
    first = frame.filter(pl.col("model") == frame["model"][0])
    ax.plot(first["week"].to_list(), first["actual"].to_list(), color="#222222", linewidth=2, label="actual")
    for (model,), rows in frame.group_by("model", maintain_order=True):
        ax.plot(rows["week"].to_list(), rows["predicted"].to_list(), linestyle="--", linewidth=1.2, label=model)
    calibration = first.filter(pl.col("period") == "calibration")
    if calibration.height:
        ax.axvline(calibration["week"].max(), color="#888888", linewidth=0.8)
    ax.set_xlabel("week (the line: end of calibration)", fontsize=8)
    ax.set_ylabel("repeat purchases, cumulative", fontsize=8)
    ax.legend(frameon=False, fontsize=7)


def tracking(frame: pl.DataFrame, title: str) -> str:
    """Cumulative repeat purchases by week, actual and expected under each model, the calibration end marked (PNG)."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    _draw_tracking(ax, frame)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return _png_markdown(fig, title)


COLORS = {"line": "#1f4e79", "target": "#8a5a00", "grid": "#d0d7de", "text": "#24292f", "fill": "#dbe9f6"}


def _svg(fig, key: str) -> str:
    """Inline SVG text (no XML prolog); `key` salts the element ids so that charts on one page do not clash."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": key, "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(COLORS["grid"])
    ax.tick_params(colors=COLORS["text"], labelsize=8)
    ax.grid(axis="y", color=COLORS["grid"], linewidth=0.6)
    ax.set_axisbelow(True)


def trend(key: str, periods: list, values: list, title: str, formatter, target: float | None = None) -> str:
    """A small line chart of a KPI by period, with the target as a dashed line.

    Each point sits on its period's tick (`periods` are the periods' first days: a month's value is drawn at the
    month, not at the next month's start), and the value axis starts at zero so a small wiggle looks small.
    """
    fig, ax = plt.subplots(figsize=(3.0, 1.4))
    points = [(d, v) for d, v in zip(periods, values) if v is not None]
    if points:
        ax.plot([d for d, _ in points], [v for _, v in points], color=COLORS["line"], linewidth=1.8, marker="o", markersize=3)
    levels = [v for _, v in points] + ([target] if target is not None else []) + [0.0]
    low, high = min(levels), max(levels)
    pad = (high - low) * 0.12 or 1.0
    ax.set_ylim(low - pad if low < 0 else 0, high + pad if high > 0 or low == 0 else 0)
    if target is not None:
        ax.axhline(target, color=COLORS["target"], linestyle="--", linewidth=1, label="target")
        ax.legend(frameon=False, fontsize=11, loc="lower right")
    ax.set_title(title, fontsize=12, color=COLORS["text"], loc="left")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=4))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: formatter(v)))
    step = (periods[1].year - periods[0].year) * 12 + periods[1].month - periods[0].month if len(periods) > 1 else 1
    ax.xaxis.set_major_locator(matplotlib.dates.MonthLocator(interval=step * max(1, -(-len(periods) // 4))))
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%b %y"))
    _style(ax)
    ax.tick_params(labelsize=11)
    return _svg(fig, key)


def whale(key: str, shares: list[float], cumulative: list[float], total: str = "total contribution") -> str:
    """The whale curve: cumulative share of total contribution against share of customers, best first."""
    fig, ax = plt.subplots(figsize=(4.6, 2.9))
    ax.plot([s * 100 for s in shares], [c * 100 for c in cumulative], color=COLORS["line"], linewidth=2)
    ax.fill_between([s * 100 for s in shares], [c * 100 for c in cumulative], color=COLORS["fill"])
    ax.axhline(100, color=COLORS["target"], linestyle="--", linewidth=1, label=total)
    ax.set_xlabel("customers, most profitable first (%)", fontsize=11, color=COLORS["text"])
    ax.set_ylabel("share of total contribution (%)", fontsize=11, color=COLORS["text"])
    ax.legend(frameon=False, fontsize=11, loc="lower right")
    _style(ax)
    ax.tick_params(labelsize=11)
    return _svg(fig, key)


WATERFALL_COLORS = {"total": "#1f4e79", "up": "#2f7d32", "down": "#b3261e"}


def waterfall(key: str, steps: list[tuple[str, float, str]], formatter, signed) -> str:
    """A waterfall: steps of (label, amount, kind) with kind total (drawn from the axis) or flow (from the running level).

    When the flows are small beside the totals the axis does not start at zero: it is broken, and the break is drawn
    on the axis and written under it, so that a small flow is visible and no one reads the bars' lengths as totals.
    """
    fig, ax = plt.subplots(figsize=(7.2, 2.25))
    level, bars = 0.0, []
    for label, amount, kind in steps:
        if kind == "total":
            bars.append((label, 0.0, amount, "total"))
            level = amount
        else:
            bars.append((label, level, level + amount, "up" if amount >= 0 else "down"))
            level += amount
    tops = [max(a, b) for _, a, b, _ in bars]
    lows = [min(a, b) for _, a, b, kind in bars if kind != "total"] or [0.0]
    floor = 0.0
    span = max(tops) - min(lows)
    if min(lows) > 0 and span < 0.5 * max(tops):
        floor = max(0.0, min(lows) - span * 0.6)
        floor = float(matplotlib.ticker.MaxNLocator(nbins=5).tick_values(0, floor)[-2]) if floor else 0.0
    for i, (label, start, end, kind) in enumerate(bars):
        bottom = max(min(start, end), floor)
        ax.bar(i, max(start, end) - bottom, bottom=bottom, color=WATERFALL_COLORS[kind], width=0.62)
        amount = end - start if kind != "total" else end
        text = formatter(amount) if kind == "total" else signed(amount)
        below = kind == "total" and amount < 0  # a loss: its label under the bar
        ax.annotate(text, (i, min(start, end) if below else max(start, end)), xytext=(0, -3 if below else 3),
                    textcoords="offset points", ha="center", va="top" if below else "bottom", fontsize=11, color=COLORS["text"])
        if i + 1 < len(bars):
            ax.plot([i + 0.31, i + 0.69], [end, end], color=COLORS["grid"], linewidth=1)
    ax.set_xticks(range(len(bars)), [b[0] for b in bars], fontsize=11)
    # below zero (a segment losing money) the axis reaches down to the lowest level, with room for its label
    lowest = min([0.0, *(min(a, b) for _, a, b, _ in bars)])
    top = max([*tops, 0.0])
    bottom = floor if lowest >= 0 else lowest - (top - lowest) * 0.14
    ax.set_ylim(bottom, top + (top - bottom) * 0.14)
    if lowest < 0:
        ax.axhline(0, color=COLORS["text"], linewidth=0.8)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=4))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: formatter(v)))
    _style(ax)
    ax.tick_params(labelsize=11)
    if floor:
        # the break: two short slashes across the foot of the y axis
        kwargs = {"transform": ax.transAxes, "color": COLORS["text"], "clip_on": False, "linewidth": 1}
        for dy in (0.0, 0.035):
            ax.plot([-0.012, 0.012], [0.02 + dy, 0.05 + dy], **kwargs)
        ax.text(0, -0.42, f"axis starts at {formatter(floor)}, not zero", transform=ax.transAxes, fontsize=11,
                color=COLORS["text"], va="top")
    return _svg(fig, key)


def tracking_svg(key: str, frame: pl.DataFrame) -> str:
    """The tracking plot for the site."""
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    _draw_tracking(ax, frame)
    _style(ax)
    return _svg(fig, key)


def actual_vs_predicted(key: str, labels: list[str], actual: list[float], predicted: dict[str, list[float]], xlabel: str) -> str:
    """Grouped bars: actual holdout purchases and each model's prediction, per group (frequency or decile)."""
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    width = 0.8 / (len(predicted) + 1)
    positions = range(len(labels))
    ax.bar([p - 0.4 + width / 2 for p in positions], actual, width, label="actual", color="#222222")
    for i, (model, values) in enumerate(predicted.items(), start=1):
        ax.bar([p - 0.4 + width / 2 + i * width for p in positions], values, width, label=model)
    ax.set_xticks(list(positions), labels)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel("holdout repeat purchases", fontsize=8)
    ax.legend(frameon=False, fontsize=7)
    _style(ax)
    return _svg(fig, key)
