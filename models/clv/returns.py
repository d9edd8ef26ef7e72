"""Expected returns: the share of gross spend a customer is expected to return, a rate beside the spend model.

Under the net_positive purchase-day policy (sql/clv/rfm.sql) Gamma-Gamma fits gross spend per purchase day and
returns are left out of it; this rate puts them back, so that CLV is net of expected returns:
  population  R = sum of returned value / sum of sales value, over all customers (rows weighted by `n`);
  customer    (returned_i + k g R) / (sales_i + k g): the customer's own rate with k purchases of the population's
              mean value g (sales value per purchase day) returned at R added, so that a customer with little
              history gets about R and one with a long history about their own rate. k is
              clv.return_rate_prior_purchases; k = 0 is the raw own rate.
Rates are clipped to [0, 1] (returns of purchases made before the data start can exceed a customer's sales).
Statistics computed under any_line, or without sales and returns columns, already hold returns in the day
values (lifetimes' definition): their rate is 0, so returns are never counted twice.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from models.clv.rfm import weights
from models.clv.unit_economics import shrunk_rate

RETURN_RATE_METHODS = ("customer", "population")


def _has_returns_data(rfm: pl.DataFrame) -> np.ndarray:
    """Rows whose statistics keep returns apart from spend (net_positive rows with sales and returns)."""
    if not {"sales_value", "returned_value"} <= set(rfm.columns):
        return np.zeros(rfm.height, dtype=bool)
    apart = rfm["sales_value"].is_not_null() & rfm["returned_value"].is_not_null()
    if "purchase_day" in rfm.columns:
        apart &= rfm["purchase_day"].fill_null("") != "any_line"
    return apart.to_numpy()


def population_return_rate(rfm: pl.DataFrame) -> float:
    """Returned value over sales value of every customer; 0 without sales or returns data."""
    rows = _has_returns_data(rfm)
    n = weights(rfm)[rows]
    sales = (n * rfm["sales_value"].cast(pl.Float64).to_numpy()[rows]).sum() if rows.any() else 0.0
    if sales <= 0:
        return 0.0
    returned = (n * rfm["returned_value"].cast(pl.Float64).to_numpy()[rows]).sum()
    return float(min(max(returned / sales, 0.0), 1.0))


def expected_return_rate(rfm: pl.DataFrame, method: str = "customer", prior_purchases: float = 5.0) -> np.ndarray:
    """Each customer's expected share of future gross spend returned (see the module docstring)."""
    if method not in RETURN_RATE_METHODS:
        raise ValueError(f"return rate method must be one of {RETURN_RATE_METHODS}, not {method!r}")
    rows = _has_returns_data(rfm)
    rate = np.zeros(rfm.height)
    if not rows.any():
        return rate
    population = population_return_rate(rfm)
    if method == "population":
        rate[rows] = population
        return rate
    sales = rfm["sales_value"].cast(pl.Float64).fill_null(0.0).to_numpy()
    returned = rfm["returned_value"].cast(pl.Float64).fill_null(0.0).to_numpy()
    n = weights(rfm)
    days = rfm["frequency"].to_numpy().astype(float) + 1
    mean_day_value = (n * sales)[rows].sum() / (n * days)[rows].sum()
    prior = prior_purchases * mean_day_value
    own = shrunk_rate(returned, sales, population, prior)  # no sales and no prior weight: the population's
    rate[rows] = np.clip(own[rows], 0.0, 1.0)
    return rate
