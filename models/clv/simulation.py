"""Simulated repeat purchases under a fitted model, compared with the actual ones (calibration histogram)."""

from __future__ import annotations

import numpy as np
import polars as pl

from models import synthetic
from models.clv.fits import Fit
from models.clv.rfm import weights

HISTOGRAM_MAX = 7  # repeat-purchase counts compared in the calibration histogram: 0..6 and 7+


def repeat_purchase_histogram(purchase: Fit, calibration: pl.DataFrame, seed: int = 0, simulated_customers: int = 500_000) -> pl.DataFrame:
    """Customers by number of repeat purchases in calibration (0..6, 7+): actual, and expected under the fit.

    Expected counts are simulated from the fitted model at each customer's own age t (the same
    approach as lifetimes' plot_period_transactions, vectorised), scaled to the customer count.
    """
    n = weights(calibration)
    ages = np.repeat(calibration["t"].to_numpy().astype(float), n.astype(np.int64))
    replicas = max(1, min(50, simulated_customers // max(1, len(ages))))
    rng = np.random.default_rng(seed)
    _, owner = synthetic.repeat_purchases(rng, purchase.model, purchase.params, np.tile(ages, replicas))
    simulated = np.minimum(np.bincount(owner, minlength=len(ages) * replicas), HISTOGRAM_MAX)
    actual = np.minimum(calibration["frequency"].to_numpy().astype(int), HISTOGRAM_MAX)
    buckets = np.arange(HISTOGRAM_MAX + 1)
    return pl.DataFrame({
        "repeat_purchases": [str(b) if b < HISTOGRAM_MAX else f"{HISTOGRAM_MAX}+" for b in buckets],
        "actual": np.bincount(actual, weights=n, minlength=HISTOGRAM_MAX + 1).astype(np.int64),
        "expected": np.bincount(simulated, minlength=HISTOGRAM_MAX + 1) / replicas,
    })
