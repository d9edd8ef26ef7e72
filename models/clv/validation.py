"""Validation tables of a holdout forecast: by calibration frequency and by decile of predicted purchases.

Each takes per-row frequency, actual and predicted holdout purchases and customer counts n (compressed
rows count n times) and returns a small Polars frame, the evidence clv.model_runs' criteria summarise.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from models.clv.fits import Fit, fitter_from_params

FREQUENCY_BUCKETS = 7  # calibration frequencies 0..6 and 7+, as in the BG/NBD paper's conditional-expectation figure
DECILES = 10


def by_frequency(frequency: np.ndarray, actual: np.ndarray, predicted: np.ndarray, n: np.ndarray) -> pl.DataFrame:
    """Customers, actual and predicted holdout repeat purchases by calibration frequency 0..6, 7+."""
    bucket = np.minimum(np.asarray(frequency).astype(np.int64), FREQUENCY_BUCKETS)
    size = FREQUENCY_BUCKETS + 1
    return pl.DataFrame({
        "calibration_frequency": [str(b) if b < FREQUENCY_BUCKETS else f"{FREQUENCY_BUCKETS}+" for b in range(size)],
        "customers": np.bincount(bucket, weights=n, minlength=size).astype(np.int64),
        "actual": np.bincount(bucket, weights=n * actual, minlength=size),
        "predicted": np.bincount(bucket, weights=n * predicted, minlength=size),
    })


def frequency_table_error(table: pl.DataFrame) -> float:
    """Sum over frequency buckets of |predicted - actual| holdout purchases, as a share of all actual ones.

    0 is a perfect conditional-expectation table; predicting 0 for everyone scores exactly 1.
    """
    actual = table["actual"].sum()
    return float((table["predicted"] - table["actual"]).abs().sum() / actual) if actual > 0 else float("nan")


def by_decile(actual: np.ndarray, predicted: np.ndarray, n: np.ndarray) -> pl.DataFrame:
    """Customers ranked by predicted holdout purchases into deciles (1 = highest): customers, predicted, actual.

    Compressed rows are split between deciles by customer count, so a decile holds a tenth of the customers.
    """
    order = np.argsort(-predicted, kind="stable")
    n_sorted = n[order]
    total = n_sorted.sum()
    end = np.cumsum(n_sorted)
    start = end - n_sorted
    edges = total * np.arange(DECILES + 1) / DECILES
    # customers of each row falling in each decile: overlap of [start, end) with [edge_d, edge_d+1)
    share = np.clip(np.minimum(end[:, None], edges[None, 1:]) - np.maximum(start[:, None], edges[None, :-1]), 0, None)
    return pl.DataFrame({
        "decile": np.arange(1, DECILES + 1),
        "customers": share.sum(0),
        "predicted": share.T @ predicted[order],
        "actual": share.T @ actual[order],
    })


def gini(actual: np.ndarray, predicted: np.ndarray, n: np.ndarray) -> float:
    """Gini coefficient of actual holdout purchases ordered by predicted: 2 x area between the cumulative-gain
    curve and the diagonal (0 = ranking no better than random, 1 - share of buyers at best)."""
    order = np.argsort(-predicted, kind="stable")
    w, a = n[order], actual[order] * n[order]
    if a.sum() <= 0:
        return float("nan")
    x = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    y = np.concatenate([[0.0], np.cumsum(a) / a.sum()])
    area = np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2)
    return float(2 * area - 1)


def top_decile_lift(deciles: pl.DataFrame) -> float:
    """Actual purchases per customer in the top decile of predicted over the mean: how much better than random."""
    top = deciles.row(0, named=True)
    mean = deciles["actual"].sum() / deciles["customers"].sum()
    return float(top["actual"] / top["customers"] / mean) if mean > 0 and top["customers"] > 0 else float("nan")


def tracking(purchase: Fit, acquisition_day: np.ndarray, acquired: np.ndarray, week_end_day: np.ndarray,
             days_per_unit: float) -> np.ndarray:
    """Expected cumulative repeat purchases by each week end of the customers acquired on each day (the tracking plot).

    `acquisition_day`, `acquired`: first purchase days (days from the data's start) and customers acquired then;
    `week_end_day`: the days (from the same start) to accumulate up to. Each customer contributes the model's
    unconditional expected repeat purchases over the time since their first purchase.
    """
    fitter = purchase.fitter or fitter_from_params(purchase.model, purchase.params)
    age = np.maximum(week_end_day[:, None] - acquisition_day[None, :], 0) / days_per_unit
    unique, inverse = np.unique(age, return_inverse=True)
    expected = np.asarray(fitter.expected_number_of_purchases_up_to_time(unique), dtype=float)
    return expected[inverse.reshape(age.shape)] @ acquired.astype(float)
