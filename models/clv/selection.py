"""Model selection: candidates backtested on a holdout, the choice, the Gamma-Gamma fallback, the evidence.

Pure decisions over compressed statistics: the I/O layer reads the statistics and records what this
returns (every fit, with its stage, metrics and whether it was chosen) in clv.model_runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from models.clv.fits import MODEL_NAMES, Fit, ModelError, failed
from models.clv.purchase import evaluation_point, expected_purchases, fit_purchase_model
from models.clv.rfm import compress, customers, frequency_monetary_correlation, weighted_correlation, weights
from models.clv.scoring import per_triple
from models.clv.simulation import repeat_purchase_histogram
from models.clv.spend import expected_order_value, fit_spend_model

HIGH_FREQUENCY_MONETARY_CORRELATION = 0.3


def _errors(predicted: np.ndarray, actual: np.ndarray, n: np.ndarray) -> dict:
    """Customers, mean absolute and root mean squared error over customers, each row counted n times."""
    error = predicted - actual
    total = n.sum()
    return {
        "holdout_customers": int(total),
        "holdout_mae": float((n * np.abs(error)).sum() / total),
        "holdout_rmse": float(np.sqrt((n * error**2).sum() / total)),
    }


def holdout_metrics(purchase: Fit, calibration: pl.DataFrame, holdout_duration: float) -> dict:
    """Predicted vs actual repeat purchases in the holdout period, in total and per customer.

    `calibration` has frequency, recency, t at the calibration end and `frequency_holdout`,
    the actual repeat purchase days in the holdout.
    """
    triples = compress(calibration)
    f, r, t = (triples[c].to_numpy().astype(float) for c in ("frequency", "recency", "t"))
    (predicted,) = expected_purchases(purchase, [holdout_duration], f, *evaluation_point(purchase.model, r, t))
    joined = per_triple(calibration, {"predicted": np.asarray(predicted, dtype=float)}, triples)
    actual = joined["frequency_holdout"].to_numpy().astype(float)
    pred = joined["predicted"].to_numpy()
    n = weights(joined)
    errors = _errors(pred, actual, n)
    return {
        "holdout_customers": errors["holdout_customers"],
        "holdout_actual": float((n * actual).sum()),
        "holdout_predicted": float((n * pred).sum()),
        "holdout_mae": errors["holdout_mae"],
        "holdout_rmse": errors["holdout_rmse"],
        "holdout_correlation": weighted_correlation(pred, actual, n),
    }


def spend_holdout_metrics(spend: Fit, calibration: pl.DataFrame) -> dict:
    """Gamma-Gamma's expected order value vs the mean spend of the customers who bought in the holdout.

    `calibration` has frequency and monetary_value at the calibration end and `frequency_holdout`,
    `monetary_value_holdout` in the holdout. Empty when the fit is unusable or nobody bought.
    """
    bought = calibration.filter(pl.col("frequency_holdout") > 0)
    if not (spend.converged and bought.height):
        return {}
    predicted = expected_order_value(spend, bought["frequency"].to_numpy(), bought["monetary_value"].to_numpy(), 0.0)
    actual = bought["monetary_value_holdout"].to_numpy()
    n = weights(bought)
    errors = _errors(predicted, actual, n)
    return {
        "holdout_customers": errors["holdout_customers"],
        "holdout_actual": float((n * actual).sum() / n.sum()),
        "holdout_predicted": float((n * predicted).sum() / n.sum()),
        "holdout_mae": errors["holdout_mae"],
        "holdout_rmse": errors["holdout_rmse"],
        "holdout_correlation": weighted_correlation(predicted, actual, n) if n.sum() > 2 else None,
    }


@dataclass
class Backtest:
    """One candidate purchase model fitted on calibration and tested on the holdout."""

    fit: Fit
    metrics: dict = field(default_factory=dict)  # empty when it could not be tested
    histogram: pl.DataFrame | None = None


def backtest(model: str, calibration: pl.DataFrame, holdout_duration: float, penalizer: float = 0.0,
             min_repeat_customers: int = 10) -> Backtest:
    """Fit `model` on calibration and compare its holdout forecast with what happened; a failure is recorded, not raised."""
    try:
        fit = fit_purchase_model(model, calibration, penalizer, min_repeat_customers)
    except ModelError as exc:
        fit = failed(model, exc, customers(calibration))
    if not fit.usable:
        return Backtest(fit)
    try:  # extreme parameters on tiny data can break the backtest's simulation; the others go on
        metrics = holdout_metrics(fit, calibration, holdout_duration)
        histogram = repeat_purchase_histogram(fit, calibration)
    except (ValueError, ArithmeticError) as exc:
        return Backtest(replace(fit, converged=False, note=f"holdout backtest failed: {exc}"))
    return Backtest(fit, metrics, histogram)


def rank_purchase_models(model: str, candidates: list[str], backtests: list[Backtest]) -> tuple[list[str], list[str]]:
    """The configured model, or with `auto` the tested candidates from the lowest holdout MAE up; and warnings.

    A candidate that failed or could not be tested is never ranked by `auto`; when none could be
    tested the candidates are taken in their configured order, and a warning says so.
    """
    if model != "auto":
        return [model], []
    scores = {b.fit.model: b.metrics["holdout_mae"] for b in backtests if b.metrics}
    if scores:
        return sorted(scores, key=scores.get), []
    return list(candidates), [f"no candidate could be tested on the holdout; {candidates[0]} chosen without a backtest"]


def correlation_warning(correlation: float) -> str | None:
    """Gamma-Gamma assumes spend independent of frequency: a correlation above the threshold, either way, is flagged."""
    if math.isfinite(correlation) and abs(correlation) > HIGH_FREQUENCY_MONETARY_CORRELATION:
        return f"frequency and monetary value correlate at {correlation:.2f}: the Gamma-Gamma independence assumption is doubtful"
    return None


@dataclass
class Record:
    """One fit as clv.model_runs records it."""

    stage: str  # calibration (backtest) or final (up to the as-of date)
    fit: Fit
    chosen: bool
    metrics: dict = field(default_factory=dict)  # holdout metrics, correlation, a note that replaces the fit's


@dataclass
class Selection:
    """Every fit made, the chosen purchase and spend models (spend None: the fallback mean is used), and why."""

    records: list[Record]
    purchase: Fit
    spend: Fit | None
    fallback_order_value: float
    histograms: dict[str, pl.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def select_models(calibration: pl.DataFrame, final: pl.DataFrame, *, model: str, candidates: list[str],
                  holdout_duration: float, fallback_order_value: float, penalizer: float = 0.0,
                  min_repeat_customers: int = 10, as_of: object = None) -> Selection:
    """Backtest every candidate on the holdout, choose, refit the choice and Gamma-Gamma on all statistics.

    `calibration`: statistics at the calibration end with the holdout's (see spend_holdout_metrics);
    `final`: statistics at the as-of date. Without a usable Gamma-Gamma every customer gets
    `fallback_order_value` (the mean purchase-day value), recorded as an `empirical_mean` fit.
    """
    records, histograms = [], {}
    backtests = [backtest(m, calibration, holdout_duration, penalizer, min_repeat_customers) for m in candidates]
    for b in backtests:
        records.append(Record("calibration", b.fit, False, b.metrics))
        if b.histogram is not None:
            histograms[b.fit.model] = b.histogram
    ranked, warnings = rank_purchase_models(model, candidates, backtests)

    problems = []
    for chosen in ranked:  # the best on the holdout whose fit on all data is usable; the others are recorded
        try:
            purchase = fit_purchase_model(chosen, final, penalizer, min_repeat_customers)
        except ModelError as exc:
            purchase = failed(chosen, exc, customers(final))
            problems.append(str(exc))
        else:
            problems.append(f"{MODEL_NAMES[chosen]} on all data up to {as_of}: {purchase.note}")
        if purchase.usable:
            break
        records.append(Record("final", purchase, False))
        warnings.append(f"{MODEL_NAMES[chosen]} on all data up to {as_of} not chosen: {purchase.note}")
    else:
        raise ModelError(problems[0])  # why the best-ranked model could not be used
    records.append(Record("final", purchase, True, {"note": "; ".join(warnings) or None}))

    correlation = frequency_monetary_correlation(final)
    if warning := correlation_warning(correlation):
        warnings.append(warning)
    records.append(_spend_calibration_record(calibration, penalizer, min_repeat_customers))
    try:
        spend = fit_spend_model(final, penalizer, min_repeat_customers)
    except ModelError as exc:
        spend = failed("gamma_gamma", exc, customers(final))
    records.append(Record("final", spend, spend.converged, {"frequency_monetary_correlation": correlation}))
    if not spend.converged:
        empirical = Fit("empirical_mean", {"mean": fallback_order_value}, float("nan"), True, customers(final), 0, 0.0,
                        note=f"Gamma-Gamma unusable ({spend.note}); every customer gets the mean purchase-day value")
        records.append(Record("final", empirical, True))
        warnings.append(empirical.note)
        spend = None
    return Selection(records, purchase, spend, fallback_order_value, histograms, warnings)


def _spend_calibration_record(calibration: pl.DataFrame, penalizer: float, min_repeat_customers: int) -> Record:
    """Gamma-Gamma fitted on calibration, scored on the mean spend of customers who bought in the holdout."""
    try:
        fit = fit_spend_model(calibration, penalizer, min_repeat_customers)
    except ModelError as exc:
        return Record("calibration", failed("gamma_gamma", exc, customers(calibration)), False)
    return Record("calibration", fit, False, {"frequency_monetary_correlation": frequency_monetary_correlation(calibration),
                                              **spend_holdout_metrics(fit, calibration)})
