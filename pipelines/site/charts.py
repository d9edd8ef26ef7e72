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


def trend(key: str, dates: list, values: list, title: str, formatter, target: float | None = None) -> str:
    """A small line chart of a KPI over period ends, with the target as a dashed line."""
    fig, ax = plt.subplots(figsize=(3.6, 1.9))
    points = [(d, v) for d, v in zip(dates, values) if v is not None]
    if points:
        ax.plot([d for d, _ in points], [v for _, v in points], color=COLORS["line"], linewidth=1.8, marker="o", markersize=2.5)
    if target is not None:
        ax.axhline(target, color=COLORS["target"], linestyle="--", linewidth=1, label="target")
        ax.legend(frameon=False, fontsize=7, loc="best")
    ax.set_title(title, fontsize=9, color=COLORS["text"], loc="left")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: formatter(v)))
    fig.autofmt_xdate(rotation=0, ha="center")
    ax.xaxis.set_major_locator(matplotlib.dates.AutoDateLocator(maxticks=5))
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%b %y"))
    _style(ax)
    return _svg(fig, key)


def whale(key: str, shares: list[float], cumulative: list[float]) -> str:
    """The whale curve: cumulative share of total contribution against share of customers, best first."""
    fig, ax = plt.subplots(figsize=(5.2, 2.8))
    ax.plot([s * 100 for s in shares], [c * 100 for c in cumulative], color=COLORS["line"], linewidth=2)
    ax.fill_between([s * 100 for s in shares], [c * 100 for c in cumulative], color=COLORS["fill"])
    ax.axhline(100, color=COLORS["target"], linestyle="--", linewidth=1, label="total contribution")
    ax.set_xlabel("customers, most profitable first (%)", fontsize=8, color=COLORS["text"])
    ax.set_ylabel("share of total contribution (%)", fontsize=8, color=COLORS["text"])
    ax.legend(frameon=False, fontsize=7, loc="lower right")
    _style(ax)
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
