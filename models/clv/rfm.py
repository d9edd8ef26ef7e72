"""RFM sufficient statistics: one row per customer, or compressed rows with a customer count `n`.

Definitions (as in lifetimes and the BG/NBD paper, at day level):
  frequency  number of days with a purchase after the first purchase day (repeat purchase days)
  recency    time from the first to the last purchase day
  t          time from the first purchase day to the as-of date (the customer's age; lifetimes' T)
  monetary   mean value of the repeat purchase days (the first day excluded); 0 when frequency is 0
Times are in the configured unit as fractions of days (weeks = days / 7, months = days / 30.4375).

Every function in models.clv that takes RFM statistics accepts one row per customer or already
compressed rows with a customer count `n` (what shards hand over): the results are the same.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}


def weights(stats: pl.DataFrame) -> np.ndarray:
    """Customers per row: the column `n` of compressed statistics, 1 for one row per customer."""
    return stats["n"].to_numpy().astype(float) if "n" in stats.columns else np.ones(stats.height)


def customers(stats: pl.DataFrame) -> int:
    return int(stats["n"].sum()) if "n" in stats.columns else stats.height


def compress(stats: pl.DataFrame, keys: tuple[str, ...] = ("frequency", "recency", "t")) -> pl.DataFrame:
    """Unique `keys` rows with the number of customers sharing each (`n`), in a fixed order.

    Through the lazy engine, which reads only the keys (and `n`): half the time of the eager group-by at 6M customers."""
    count = pl.col("n").sum() if "n" in stats.columns else pl.len()
    return stats.lazy().group_by(*keys).agg(n=count.cast(pl.Int64)).sort(*keys).collect()


def weighted_correlation(x: np.ndarray, y: np.ndarray, n: np.ndarray) -> float:
    """Pearson correlation of x and y over customers, each row counted n times."""
    total = n.sum()
    dx, dy = x - (n * x).sum() / total, y - (n * y).sum() / total
    sxx, syy = (n * dx * dx).sum(), (n * dy * dy).sum()
    if sxx <= 0 or syy <= 0:
        return float("nan")
    return float((n * dx * dy).sum() / math.sqrt(sxx * syy))


def frequency_monetary_correlation(rfm: pl.DataFrame) -> float:
    """Pearson correlation of frequency and monetary value among repeat customers (Gamma-Gamma assumes ~0)."""
    repeat = rfm.filter(pl.col("frequency") > 0)
    if customers(repeat) < 3:
        return float("nan")
    n = weights(repeat)
    return weighted_correlation(repeat["frequency"].to_numpy().astype(float), repeat["monetary_value"].to_numpy().astype(float), n)
