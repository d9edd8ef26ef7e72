"""Charts rendered with matplotlib (Agg backend, no display): PNG for Dagster metadata."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
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
