"""Scoring: p_alive, expected purchases, expected order value, expected return rate and CLV per customer, once per unique triple."""

from __future__ import annotations

import numpy as np
import polars as pl

from models.clv.fits import MODEL_NAMES, Fit, ModelError, fitter_from_params
from models.clv.purchase import evaluation_point, expected_purchases
from models.clv.returns import expected_return_rate
from models.clv.rfm import compress
from models.clv.spend import expected_order_value

# lifetimes' customer_lifetime_value steps one month at a time: 30 days, 4.345 weeks or 1 month.
LIFETIMES_UNITS_PER_MONTH = {"days": 30.0, "weeks": 4.345, "months": 1.0}


def per_triple(rfm: pl.DataFrame, columns: dict[str, np.ndarray], triples: pl.DataFrame) -> pl.DataFrame:
    return rfm.join(triples.select("frequency", "recency", "t").with_columns(**{k: pl.Series(v) for k, v in columns.items()}),
                    on=["frequency", "recency", "t"], how="left")


def score(purchase: Fit, spend: Fit | None, rfm: pl.DataFrame, time_unit: str, horizon_months: int = 12,
          annual_discount_rate: float = 0.10, margin_rate: float = 1.0, fallback_order_value: float = 0.0,
          return_rate: str = "customer", return_rate_prior_purchases: float = 5.0) -> pl.DataFrame:
    """p_alive, expected purchases over the horizon, expected order value, expected return rate and CLV for every customer.

    Model functions are evaluated once per unique (frequency, recency, t) triple. CLV follows
    lifetimes' customer_lifetime_value: monthly steps, monthly discount rate
    (1 + annual)^(1/12) - 1, times the margin rate, and net of expected returns: times
    (1 - expected_return_rate) (models/clv/returns.py; 0 for statistics without returns kept apart).
    """
    fitter = purchase.fitter or fitter_from_params(purchase.model, purchase.params)
    triples = compress(rfm)
    f, r, t = (triples[c].to_numpy().astype(float) for c in ("frequency", "recency", "t"))
    r, t = evaluation_point(purchase.model, r, t)
    step = LIFETIMES_UNITS_PER_MONTH[time_unit]
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    cumulative = [np.zeros_like(f), *expected_purchases(purchase, [month * step for month in range(1, horizon_months + 1)], f, r, t)]
    discounted = sum((cumulative[i] - cumulative[i - 1]) / (1 + monthly_rate) ** i for i in range(1, horizon_months + 1))
    p_alive = np.clip(np.asarray(fitter.conditional_probability_alive(f, r, t), dtype=float), 0.0, 1.0)
    scored = per_triple(rfm, {"p_alive": p_alive, "expected_purchases": cumulative[-1], "_discounted": discounted}, triples)
    aov = expected_order_value(spend, scored["frequency"].to_numpy(), scored["monetary_value"].to_numpy(), fallback_order_value)
    returns = expected_return_rate(scored, return_rate, return_rate_prior_purchases)
    scored = scored.with_columns(expected_order_value=pl.Series(aov), expected_return_rate=pl.Series(returns)).with_columns(
        clv=margin_rate * pl.col("expected_order_value") * (1 - pl.col("expected_return_rate")) * pl.col("_discounted")
    ).drop("_discounted")
    bad = scored.filter(~pl.all_horizontal(
        pl.col("p_alive", "expected_purchases", "expected_order_value", "expected_return_rate", "clv").is_finite()))
    if bad.height:
        raise ModelError(f"{MODEL_NAMES[purchase.model]} gave non-finite scores for {bad.height:,} customers "
                         f"(e.g. frequency={bad['frequency'][0]}, recency={bad['recency'][0]}, t={bad['t'][0]})")
    return scored
