"""Scoring: p_alive, expected purchases, expected order value, expected return rate, unit economics and CLV per customer,
the models once per unique triple."""

from __future__ import annotations

import numpy as np
import polars as pl

from models.clv.fits import MODEL_NAMES, Fit, ModelError, fitter_from_params
from models.clv.predictive import no_purchase_probabilities
from models.clv.purchase import evaluation_point, expected_purchases
from models.clv.returns import expected_return_rate
from models.clv.rfm import compress
from models.clv.spend import expected_order_value
from models.clv.unit_economics import Valuation, unit_economics

# lifetimes' customer_lifetime_value steps one month at a time: 30 days, 4.345 weeks or 1 month.
LIFETIMES_UNITS_PER_MONTH = {"days": 30.0, "weeks": 4.345, "months": 1.0}


def per_triple(rfm: pl.DataFrame, columns: dict[str, np.ndarray], triples: pl.DataFrame) -> pl.DataFrame:
    return rfm.join(triples.select("frequency", "recency", "t").with_columns(**{k: pl.Series(v) for k, v in columns.items()}),
                    on=["frequency", "recency", "t"], how="left")


def triple_values(purchase: Fit, f: np.ndarray, r: np.ndarray, t: np.ndarray, time_unit: str, horizon_months: int,
                  annual_discount_rate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (frequency, recency, t): p_alive, expected purchases over the horizon, and the discounted expected purchases
    that CLV multiplies by margin and order value (lifetimes' monthly steps and monthly discount rate)."""
    fitter = purchase.fitter or fitter_from_params(purchase.model, purchase.params)
    r, t = evaluation_point(purchase.model, r, t)
    step = LIFETIMES_UNITS_PER_MONTH[time_unit]
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    cumulative = [np.zeros_like(f), *expected_purchases(purchase, [month * step for month in range(1, horizon_months + 1)], f, r, t)]
    discounted = sum((cumulative[i] - cumulative[i - 1]) / (1 + monthly_rate) ** i for i in range(1, horizon_months + 1))
    p_alive = np.clip(np.asarray(fitter.conditional_probability_alive(f, r, t), dtype=float), 0.0, 1.0)
    return p_alive, cumulative[-1], discounted


def marketing_weights(purchase: Fit, f: np.ndarray, r: np.ndarray, t: np.ndarray, marketed_months: np.ndarray, time_unit: str,
                      horizon_months: int, annual_discount_rate: float) -> np.ndarray:
    """Per row: the sum over the horizon's months j of P(the customer is marketed in month j) / (1 + monthly rate)^j,
    what a monthly marketing cost is multiplied by. A customer is marketed inside the window their past purchases
    keep them in (j <= marketed_months) and, after it, if they buy again by month j: 1 - P(no repeat purchase by
    then) (models.clv.predictive). Exact while profit.marketing.active_months >= the horizon (a purchase in the
    horizon then keeps them marketed to its end), an upper bound otherwise."""
    step = LIFETIMES_UNITS_PER_MONTH[time_unit]
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    months = range(1, horizon_months + 1)
    later = [marketed_months < month for month in months]  # past their window in that month: marketed if they buy again
    none = no_purchase_probabilities(purchase, f, r, t, [month * step for month in months], later)
    total = np.zeros(len(f))
    for month, rows, no_purchase in zip(months, later, none):
        marketed = np.ones(len(f))
        marketed[rows] = np.clip(1 - no_purchase, 0.0, 1.0)
        total += marketed / (1 + monthly_rate) ** month
    return total


def score(purchase: Fit, spend: Fit | None, rfm: pl.DataFrame, time_unit: str, horizon_months: int = 12,
          annual_discount_rate: float = 0.10, margin_rate: float = 1.0, fallback_order_value: float = 0.0,
          return_rate: str = "customer", return_rate_prior_purchases: float = 5.0,
          valuation: Valuation | None = None) -> pl.DataFrame:
    """p_alive, expected purchases over the horizon, expected order value, expected return rate, the unit economics
    (models/clv/unit_economics.py) and CLV for every customer.

    Model functions are evaluated once per unique (frequency, recency, t) triple. Purchases are discounted as in
    lifetimes' customer_lifetime_value: monthly steps, monthly discount rate (1 + annual)^(1/12) - 1 (the column
    discounted_purchases). CLV = discounted_purchases x (gross_margin_per_order - cost_to_serve_per_order
    - returns_cost_per_order) - expected_marketing_cost. Without a valuation it is the margin-rate CLV, margin rate x
    order value x (1 - expected_return_rate) x discounted purchases (models/clv/returns.py; the rate is 0 for
    statistics without returns kept apart): lifetimes' CLV times the margin rate, net of returns.
    """
    valuation = valuation or Valuation("margin_rate", margin_rate)
    triples = compress(rfm)
    f, r, t = (triples[c].to_numpy().astype(float) for c in ("frequency", "recency", "t"))
    p_alive, expected, discounted = triple_values(purchase, f, r, t, time_unit, horizon_months, annual_discount_rate)
    scored = per_triple(rfm, {"p_alive": p_alive, "expected_purchases": expected, "discounted_purchases": discounted}, triples)
    aov = expected_order_value(spend, scored["frequency"].to_numpy(), scored["monetary_value"].to_numpy(), fallback_order_value)
    returns = expected_return_rate(scored, return_rate, return_rate_prior_purchases)
    economics = unit_economics(scored, valuation, returns)
    scored = pl.concat([scored.drop(economics.columns, strict=False).with_columns(
        expected_order_value=pl.Series(aov), expected_return_rate=pl.Series(returns)), economics], how="horizontal")
    weight = np.zeros(scored.height)
    if (scored["marketing_cost_per_month"] > 0).any():
        keys = scored.select("frequency", "recency", "t", "marketed_months").unique()
        kf, kr, kt = (keys[c].to_numpy().astype(float) for c in ("frequency", "recency", "t"))
        keys = keys.with_columns(_weight=pl.Series(marketing_weights(
            purchase, kf, kr, kt, keys["marketed_months"].to_numpy(), time_unit, horizon_months, annual_discount_rate)))
        weight = scored.join(keys, on=["frequency", "recency", "t", "marketed_months"], how="left", maintain_order="left")["_weight"].to_numpy()
    scored = scored.with_columns(
        gross_margin_per_order=pl.col("expected_order_value") * (1 - pl.col("cogs_rate")),
        returns_cost_per_order=pl.col("expected_order_value") * pl.col("returns_cost_rate"),
        expected_marketing_cost=pl.col("marketing_cost_per_month") * pl.Series(weight),
    ).with_columns(
        clv=pl.col("discounted_purchases") * (pl.col("gross_margin_per_order") - pl.col("cost_to_serve_per_order")
                                              - pl.col("returns_cost_per_order")) - pl.col("expected_marketing_cost"))
    bad = scored.filter(~pl.all_horizontal(
        pl.col("p_alive", "expected_purchases", "expected_order_value", "expected_return_rate", "clv").is_finite()))
    if bad.height:
        raise ModelError(f"{MODEL_NAMES[purchase.model]} gave non-finite scores for {bad.height:,} customers "
                         f"(e.g. frequency={bad['frequency'][0]}, recency={bad['recency'][0]}, t={bad['t'][0]})")
    return scored
