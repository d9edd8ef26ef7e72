"""Model selection: candidates backtested on a holdout, the choice, the Gamma-Gamma fallback, the evidence.

Pure decisions over compressed statistics: the I/O layer reads the statistics and records what this
returns (every fit, with its stage, metrics and whether it was chosen) in clv.model_runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from models.clv import intervals, predictive, validation
from models.clv.fits import MODEL_NAMES, Fit, ModelError, failed
from models.clv.purchase import evaluation_point, expected_purchases, fit_purchase_model
from models.clv.rfm import compress, customers, frequency_monetary_correlation, weighted_correlation, weights
from models.clv.simulation import repeat_purchase_histogram
from models.clv.spend import expected_order_value, fit_spend_model

HIGH_FREQUENCY_MONETARY_CORRELATION = 0.3


BASELINES = ("zero_forecast", "calibration_rate")
TIE_NATS_PER_ORIGIN = 2.0  # holdout log-likelihoods closer than this per origin are a tie, settled by calibration BIC


def _errors(predicted: np.ndarray, actual: np.ndarray, n: np.ndarray) -> dict:
    """Customers, mean absolute and root mean squared error over customers, each row counted n times."""
    error = predicted - actual
    total = n.sum()
    return {
        "holdout_customers": int(total),
        "holdout_mae": float((n * np.abs(error)).sum() / total),
        "holdout_rmse": float(np.sqrt((n * error**2).sum() / total)),
    }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def bic(log_likelihood: float, n_parameters: int, n_customers: int) -> float:
    """Bayesian information criterion of a calibration fit: -2 log-likelihood + parameters x log(customers)."""
    return -2 * log_likelihood + n_parameters * math.log(n_customers)


def _evaluate(frequency: np.ndarray, actual: np.ndarray, predicted: np.ndarray, log_p: np.ndarray,
              n: np.ndarray) -> tuple[dict, dict[str, pl.DataFrame]]:
    """Every holdout criterion of one forecast (totals, errors, log-likelihood, the frequency table's error, Gini and
    top-decile lift), and the validation tables by calibration frequency and by decile of predicted purchases."""
    errors = _errors(predicted, actual, n)
    tables = {"by_frequency": validation.by_frequency(frequency, actual, predicted, n),
              "by_decile": validation.by_decile(actual, predicted, n)}
    ranks = np.ptp(predicted) > 0  # a constant forecast does not rank customers
    metrics = {
        "holdout_customers": errors["holdout_customers"],
        "holdout_actual": float((n * actual).sum()),
        "holdout_predicted": float((n * predicted).sum()),
        "holdout_mae": errors["holdout_mae"],
        "holdout_rmse": errors["holdout_rmse"],
        "holdout_correlation": weighted_correlation(predicted, actual, n),
        "holdout_log_likelihood": _finite(float((n * log_p).sum()) if np.isfinite(log_p).all() else -math.inf),
        "frequency_table_error": validation.frequency_table_error(tables["by_frequency"]),
        "holdout_gini": _finite(validation.gini(actual, predicted, n)) if ranks else None,
        "holdout_top_decile_lift": _finite(validation.top_decile_lift(tables["by_decile"])) if ranks else None,
    }
    return metrics, tables


def _holdout_rows(calibration: pl.DataFrame) -> pl.DataFrame:
    """Customers sharing calibration (frequency, recency, t) and holdout count, counted (n)."""
    return compress(calibration, ("frequency", "recency", "t", "frequency_holdout"))


def holdout_evaluation(purchase: Fit, calibration: pl.DataFrame, holdout_duration: float,
                       rows: pl.DataFrame | None = None) -> tuple[dict, dict[str, pl.DataFrame]]:
    """Predicted vs actual repeat purchases in the holdout period, per customer and in total, the log-likelihood
    of the actual counts under the model's predictive distribution (models.clv.predictive), and the validation tables.

    `calibration` has frequency, recency, t at the calibration end and `frequency_holdout`,
    the actual repeat purchase days in the holdout; `rows`, when given, is its _holdout_rows.
    """
    rows = _holdout_rows(calibration) if rows is None else rows
    f, r, t, k = (rows[c].to_numpy().astype(float) for c in ("frequency", "recency", "t", "frequency_holdout"))
    (predicted,) = expected_purchases(purchase, [holdout_duration], f, *evaluation_point(purchase.model, r, t))
    probability = predictive.holdout_probability(purchase, k, f, r, t, holdout_duration)
    with np.errstate(divide="ignore"):
        log_p = np.log(probability)
    return _evaluate(f, k, np.asarray(predicted, dtype=float), log_p, weights(rows))


def holdout_metrics(purchase: Fit, calibration: pl.DataFrame, holdout_duration: float) -> dict:
    """The criteria of holdout_evaluation alone."""
    return holdout_evaluation(purchase, calibration, holdout_duration)[0]


def baseline(name: str, calibration: pl.DataFrame, holdout_duration: float,
             rows: pl.DataFrame | None = None) -> tuple[Fit, dict, dict[str, pl.DataFrame]]:
    """A trivial forecast as a fit with its holdout metrics and tables, recorded beside the models so they can be compared.

    zero_forecast: nobody buys again (a point forecast: any purchase has probability 0).
    calibration_rate: every customer buys as a Poisson process at the calibration period's pooled rate
    (repeat purchases / customer time), the one-parameter model the purchase models must beat; its
    calibration log-likelihood is that of the purchase times, on the same footing as the models'.
    """
    rows = _holdout_rows(calibration) if rows is None else rows
    f, t, k = (rows[c].to_numpy().astype(float) for c in ("frequency", "t", "frequency_holdout"))
    n = weights(rows)
    rate = float((n * f).sum() / (n * t).sum()) if name == "calibration_rate" else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = float((n * (np.where(f > 0, f * math.log(rate) if rate > 0 else -np.inf, 0.0) - rate * t)).sum())
    predicted = np.full_like(k, rate * holdout_duration)
    fit = Fit(name, {"rate": rate}, ll, True, customers(calibration), rows.height, 0.0,
              note="baseline: recorded for comparison, never scores customers")
    return fit, *_evaluate(f, k, predicted, predictive.poisson_log_probability(k, predicted), n)


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
    """One candidate purchase model (or baseline) fitted on one origin's calibration and tested on its holdout."""

    fit: Fit
    metrics: dict = field(default_factory=dict)  # empty when it could not be tested
    histogram: pl.DataFrame | None = None
    origin: int = 0  # 0: the configured window; 1, 2, ...: earlier forecast origins
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)  # models.clv.validation's, by name


def _criteria(fit: Fit, metrics: dict, n_parameters: int) -> dict:
    return {**metrics, "n_parameters": n_parameters,
            "bic": _finite(bic(fit.log_likelihood, n_parameters, fit.n_customers)) if math.isfinite(fit.log_likelihood) else None}


def backtest(model: str, calibration: pl.DataFrame, holdout_duration: float, penalizer: float = 0.0,
             min_repeat_customers: int = 10, origin: int = 0, rows: pl.DataFrame | None = None) -> Backtest:
    """Fit `model` on calibration and compare its holdout forecast with what happened; a failure is recorded, not raised.
    `rows`: the calibration's _holdout_rows when the caller has them (the origin's other backtests share them)."""
    rows = _holdout_rows(calibration) if rows is None else rows
    if model in BASELINES:
        fit, metrics, tables = baseline(model, calibration, holdout_duration, rows)
        return Backtest(fit, _criteria(fit, metrics, 0 if model == "zero_forecast" else 1), origin=origin, tables=tables)
    try:
        fit = fit_purchase_model(model, rows, penalizer, min_repeat_customers)  # the same triples and counts, fewer rows
    except ModelError as exc:
        fit = failed(model, exc, customers(calibration))
    if not fit.usable:
        return Backtest(fit, origin=origin)
    try:  # extreme parameters on tiny data can break the backtest's simulation; the others go on
        metrics, tables = holdout_evaluation(fit, calibration, holdout_duration, rows)
        metrics = _criteria(fit, metrics, len(fit.params))
        histogram = repeat_purchase_histogram(fit, calibration) if origin == 0 else None
    except (ValueError, ArithmeticError) as exc:
        return Backtest(replace(fit, converged=False, note=f"holdout backtest failed: {exc}"), origin=origin)
    return Backtest(fit, metrics, histogram, origin, tables)


def _totals(backtests: list[Backtest]) -> dict[str, tuple[float, float]]:
    """Per model tested at every origin: (holdout log-likelihood, calibration BIC), each summed over the origins;
    -inf and +inf where a forecast gave an observed count probability 0."""
    origins = {b.origin for b in backtests}
    tested: dict[str, list[Backtest]] = {}
    for b in backtests:
        if b.metrics:
            tested.setdefault(b.fit.model, []).append(b)
    totals = {}
    for model, runs in tested.items():
        if {b.origin for b in runs} != origins:
            continue
        ll = [b.metrics["holdout_log_likelihood"] for b in runs]
        bics = [b.metrics["bic"] for b in runs]
        totals[model] = (-math.inf if None in ll else sum(ll), math.inf if None in bics else sum(bics))
    return totals


def rank(backtests: list[Backtest]) -> list[str]:
    """Models and baselines tested at every origin, best first, by the selection rule (docs/clv.md):

    the highest holdout log-likelihood of the observed repeat counts, summed over the forecast origins,
    wins; candidates within TIE_NATS_PER_ORIGIN per origin of it are a tie, ordered by calibration BIC
    summed over the origins (fewer parameters or a better fit to the calibration histories). The rest follow
    by holdout log-likelihood.
    """
    totals = _totals(backtests)
    if not totals:
        return []
    origins = len({b.origin for b in backtests})
    best = max(ll for ll, _ in totals.values())
    tied = sorted((m for m, (ll, _) in totals.items() if ll >= best - TIE_NATS_PER_ORIGIN * origins and math.isfinite(ll)),
                  key=lambda m: (totals[m][1], -totals[m][0]))
    rest = sorted((m for m in totals if m not in tied), key=lambda m: -totals[m][0])
    return tied + rest


def rank_purchase_models(model: str, candidates: list[str], backtests: list[Backtest]) -> tuple[list[str], list[str]]:
    """The configured model, or with `auto` the candidates tested at every origin, best first by `rank`; and warnings.

    A candidate that failed or could not be tested is never ranked by `auto`; when none could be
    tested the candidates are taken in their configured order, and a warning says so. Baselines are
    ranked with the models but never chosen: one ranked above every model is a warning.
    """
    if model != "auto":
        return [model], []
    ranked = rank(backtests)
    models = [m for m in ranked if m not in BASELINES]
    if not models:
        return list(candidates), [f"no candidate could be tested on the holdout; {candidates[0]} chosen without a backtest"]
    warnings = [f"the {MODEL_NAMES[m]} baseline forecasts the holdout better than {MODEL_NAMES[models[0]]}: "
                "the purchase models do not describe this data" for m in ranked[:ranked.index(models[0])]]
    return models, warnings


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
    validation: dict[str, pl.DataFrame] = field(default_factory=dict)  # by_frequency, by_decile: every model at origin 0


def origins(calibration: pl.DataFrame) -> list[tuple[int, pl.DataFrame]]:
    """The statistics of each forecast origin (column `origin`, 0 = the configured window; absent: one origin)."""
    if "origin" not in calibration.columns:
        return [(0, calibration)]
    return [(int(o), calibration.filter(pl.col("origin") == o).drop("origin")) for o in sorted(calibration["origin"].unique())]


def select_models(calibration: pl.DataFrame, final: pl.DataFrame, *, model: str, candidates: list[str],
                  holdout_duration: float, fallback_order_value: float, penalizer: float = 0.0,
                  min_repeat_customers: int = 10, as_of: object = None, min_backtest_repeat_customers: int = 0) -> Selection:
    """Backtest every candidate and baseline at every forecast origin, choose, refit the choice and Gamma-Gamma on all statistics.

    `calibration`: statistics at each origin's calibration end with its holdout's (see spend_holdout_metrics
    and `origins`), every holdout `holdout_duration` long;
    `final`: statistics at the as-of date. Without a usable Gamma-Gamma every customer gets
    `fallback_order_value` (the mean purchase-day value), recorded as an `empirical_mean` fit.
    """
    records, histograms = [], {}
    warnings = [f"forecast origin {origin}: only {repeaters:,} customers repeat in the calibration period, fewer than "
                f"{min_backtest_repeat_customers:,}: the model choice rests on little evidence"
                for origin, origin_calibration in origins(calibration)
                if (repeaters := customers(origin_calibration.filter(pl.col("frequency") > 0))) < min_backtest_repeat_customers]
    backtests = [backtest(m, origin_calibration, holdout_duration, penalizer, min_repeat_customers, origin, rows)
                 for origin, origin_calibration in origins(calibration) for rows in [_holdout_rows(origin_calibration)]
                 for m in [*candidates, *BASELINES]]
    order = rank(backtests)
    for b in backtests:
        metrics = {**b.metrics, "origin": b.origin, "selection_rank": order.index(b.fit.model) + 1 if b.fit.model in order else None}
        records.append(Record("calibration", b.fit, False, metrics))
        if b.histogram is not None:
            histograms[b.fit.model] = b.histogram
    calibration = origins(calibration)[0][1]
    tested = [b for b in backtests if b.origin == 0 and b.tables]
    validation_tables = {name: pl.concat([b.tables[name].select(pl.lit(b.fit.model).alias("model"), pl.all()) for b in tested])
                         for name in ("by_frequency", "by_decile") if tested}
    ranked, ranking_warnings = rank_purchase_models(model, candidates, backtests)
    warnings += ranking_warnings

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
    purchase = _with_covariance(purchase, final, warnings)
    records.append(Record("final", purchase, True, {"note": "; ".join(warnings) or None}))
    records.append(_spend_calibration_record(calibration, penalizer, min_repeat_customers))
    spend = _final_spend(final, records, warnings, fallback_order_value, penalizer, min_repeat_customers)
    return Selection(records, purchase, spend, fallback_order_value, histograms, warnings, validation_tables)


def warm_up(final: pl.DataFrame, *, model: str, candidates: list[str], fallback_order_value: float, reason: str,
            penalizer: float = 0.0, min_repeat_customers: int = 10) -> Selection:
    """The fits of a refit with too little history for a holdout (`reason` says why): the configured model, or
    BG/NBD under auto (the most robust on short histories), fitted on all statistics without a choice."""
    chosen = model if model != "auto" else ("bgnbd" if "bgnbd" in candidates else candidates[0])
    purchase = fit_purchase_model(chosen, final, penalizer, min_repeat_customers)  # ModelError: no fit at all
    if not purchase.usable:
        raise ModelError(f"{MODEL_NAMES[chosen]}: {purchase.note}")
    warnings = [f"{reason}: {MODEL_NAMES[chosen]} fitted on all data without a model choice"]
    purchase = _with_covariance(purchase, final, warnings)
    records = [Record("final", purchase, True, {"note": "; ".join(warnings)})]
    spend = _final_spend(final, records, warnings, fallback_order_value, penalizer, min_repeat_customers)
    return Selection(records, purchase, spend, fallback_order_value, {}, warnings, {})


def _with_covariance(purchase: Fit, final: pl.DataFrame, warnings: list[str]) -> Fit:
    """The chosen purchase fit with the covariance of its parameters (models.clv.intervals); a warning without one."""
    purchase = intervals.with_covariance(purchase, final)
    if purchase.covariance is None:
        warnings.append(f"{MODEL_NAMES[purchase.model]}: the log-likelihood's Hessian is not positive definite at the fit, "
                        "so there are no standard errors and no intervals")
    return purchase


def _final_spend(final: pl.DataFrame, records: list[Record], warnings: list[str], fallback_order_value: float,
                 penalizer: float, min_repeat_customers: int) -> Fit | None:
    """Gamma-Gamma on all statistics, recorded; None (and an empirical_mean record) when it is unusable."""
    correlation = frequency_monetary_correlation(final)
    if warning := correlation_warning(correlation):
        warnings.append(warning)
    try:
        spend = intervals.with_covariance(fit_spend_model(final, penalizer, min_repeat_customers), final)
    except ModelError as exc:
        spend = failed("gamma_gamma", exc, customers(final))
    records.append(Record("final", spend, spend.converged, {"frequency_monetary_correlation": correlation}))
    if not spend.converged:
        empirical = Fit("empirical_mean", {"mean": fallback_order_value}, float("nan"), True, customers(final), 0, 0.0,
                        note=f"Gamma-Gamma unusable ({spend.note}); every customer gets the mean purchase-day value")
        records.append(Record("final", empirical, True))
        warnings.append(empirical.note)
        return None
    return spend


def _spend_calibration_record(calibration: pl.DataFrame, penalizer: float, min_repeat_customers: int) -> Record:
    """Gamma-Gamma fitted on calibration, scored on the mean spend of customers who bought in the holdout."""
    try:
        fit = fit_spend_model(calibration, penalizer, min_repeat_customers)
    except ModelError as exc:
        return Record("calibration", failed("gamma_gamma", exc, customers(calibration)), False)
    return Record("calibration", fit, False, {"frequency_monetary_correlation": frequency_monetary_correlation(calibration),
                                              **spend_holdout_metrics(fit, calibration)})
