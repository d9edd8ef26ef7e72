"""CLV layer I/O: RFM in DuckDB, model fits and holdout backtest through models.clv, the model registry and scores."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field, replace
from importlib.metadata import version

import duckdb
import numpy as np
import polars as pl

from models import clv as clv_models
from pipelines.config import Config
from pipelines.errors import SegprofError
from pipelines.warehouse import create_tables, frame, query, run

LIFETIMES_VERSION = version("lifetimes")
HIGH_FREQUENCY_MONETARY_CORRELATION = 0.3


@dataclass(frozen=True)
class Windows:
    as_of: dt.date
    first_date: dt.date
    calibration_end: dt.date
    holdout_end: dt.date

    @property
    def holdout_days(self) -> int:
        return (self.holdout_end - self.calibration_end).days


def period_start(day: dt.date, period: str) -> dt.date:
    month = day.month if period == "month" else 3 * ((day.month - 1) // 3) + 1
    return dt.date(day.year, month, 1)


def next_period_start(day: dt.date, period: str) -> dt.date:
    start = period_start(day, period)
    months = 1 if period == "month" else 3
    year, month = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + year, month + 1, 1)


def scoring_dates(con: duckdb.DuckDBPyConnection, config: Config) -> list[dt.date]:
    """Every period end from the first transaction's period up to the as-of date, and the as-of date itself.

    Customers are scored at each so that segments, migration and trends have history.
    """
    return period_ends(*data_window(con, config), config.profit.period)


def period_ends(first: dt.date, as_of: dt.date, period: str) -> list[dt.date]:
    dates, day = [], first
    while (end := next_period_start(day, period) - dt.timedelta(days=1)) < as_of:
        dates.append(end)
        day = end + dt.timedelta(days=1)
    return [*dates, as_of]


@dataclass
class ModelRun:
    """What clv_model decided: every fit as a registry row, the chosen fits, and what to show."""

    rows: list[dict]
    purchase: clv_models.Fit
    spend: clv_models.Fit | None
    fallback_order_value: float
    histograms: dict[str, pl.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def data_window(con: duckdb.DuckDBPyConnection, config: Config, name: str = "clv/as_of_date",
                params: dict | None = None) -> tuple[dt.date, dt.date]:
    """The first transaction day and the as-of date (configured, or the last transaction day)."""
    row = query(con, name, {"as_of": config.as_of_date, **(params or {})})[0]
    if row["as_of_date"] is None:
        raise SegprofError("no accepted transactions: nothing to compute CLV from")
    return row["first_date"], row["as_of_date"]


def as_of_date(con: duckdb.DuckDBPyConnection, config: Config) -> dt.date:
    return data_window(con, config)[1]


def windows(con: duckdb.DuckDBPyConnection, config: Config) -> Windows:
    return windows_for(*data_window(con, config), config)


def windows_for(first: dt.date, as_of: dt.date, config: Config) -> Windows:
    """As-of date, calibration end and holdout end: configured, or the defaults docs/configuration.md states."""
    holdout_end = config.clv.holdout_end or as_of
    calibration_end = config.clv.calibration_end or first + (holdout_end - first) / 2
    if not first < calibration_end < holdout_end:
        raise SegprofError(
            f"clv: calibration_end {calibration_end} must fall after the first transaction {first} and before holdout_end {holdout_end}"
        )
    return Windows(as_of, first, calibration_end, holdout_end)


def build_customer_rfm(con: duckdb.DuckDBPyConnection, config: Config, dates: list[dt.date]) -> None:
    """RFM at every scoring date, replacing what clv.customer_rfm held for those dates, in one transaction."""
    create_tables(con, "clv/customer_rfm")
    run(con, "clv/rfm")
    params = {"dates": dates, "days_per_unit": clv_models.DAYS_PER_UNIT[config.time_unit], "time_unit": config.time_unit}
    con.begin()
    run(con, "clv/delete_customer_rfm", params)
    run(con, "clv/insert_customer_rfm", params)
    con.commit()


def load_rfm(con: duckdb.DuckDBPyConnection, dates: dt.date | list[dt.date]) -> pl.DataFrame:
    """clv.customer_rfm at one or several as-of dates (column as_of_date tells which)."""
    return frame(con, "clv/select_customer_rfm", {"dates": dates if isinstance(dates, list) else [dates]})


def _row(fit: clv_models.Fit, stage: str, w: Windows, config: Config, run_id: str, chosen: bool, **extra) -> dict:
    return {
        "run_id": run_id,
        "fitted_at": dt.datetime.now(),
        "stage": stage,
        "model": fit.model,
        "parameters": json.dumps(fit.params) if fit.params else None,
        "log_likelihood": fit.log_likelihood if math.isfinite(fit.log_likelihood) else None,
        "converged": fit.converged,
        "n_customers": fit.n_customers,
        "n_triples": fit.n_triples,
        "fit_seconds": fit.seconds,
        "as_of_date": w.as_of,
        "calibration_start": w.first_date,
        "calibration_end": w.calibration_end if stage == "calibration" else w.as_of,
        "holdout_end": w.holdout_end if stage == "calibration" else None,
        "time_unit": config.time_unit,
        "chosen": chosen,
        "lifetimes_version": LIFETIMES_VERSION,
        "note": fit.note or None,
        **extra,
    }


def _failed(model: str, exc: Exception, n_customers: int) -> clv_models.Fit:
    return clv_models.Fit(model, {}, float("nan"), False, n_customers, 0, 0.0, note=str(exc))


@dataclass(frozen=True)
class Statistics:
    """What the fits need, compressed (rows with a customer count n): see sql/clv/*_statistics.sql."""

    calibration: pl.DataFrame
    final: pl.DataFrame


def statistics(con: duckdb.DuckDBPyConnection, config: Config, w: Windows) -> Statistics:
    """Compressed calibration/holdout and as-of statistics from staging.transactions and clv.customer_rfm."""
    run(con, "clv/rfm")
    run(con, "clv/calibration_holdout")
    return Statistics(
        calibration=frame(con, "clv/calibration_statistics", {
            "calibration_end": w.calibration_end, "holdout_end": w.holdout_end,
            "days_per_unit": clv_models.DAYS_PER_UNIT[config.time_unit],
        }),
        final=frame(con, "clv/final_statistics", {"as_of": w.as_of}),
    )


def fit_models(con: duckdb.DuckDBPyConnection, config: Config, run_id: str, w: Windows, stats: Statistics) -> ModelRun:
    """Backtest every candidate on the holdout, choose, refit the choice and Gamma-Gamma up to the as-of date."""
    settings = config.clv
    calibration = stats.calibration
    duration = w.holdout_days / clv_models.DAYS_PER_UNIT[config.time_unit]
    rows, histograms, scores = [], {}, {}
    for model in settings.candidates:
        try:
            fit = clv_models.fit_purchase_model(model, calibration, settings.penalizer, settings.min_repeat_customers)
        except clv_models.ModelError as exc:
            fit = _failed(model, exc, clv_models.customers(calibration))
        metrics = {}
        if fit.usable:
            try:  # extreme parameters on tiny data can break the backtest's simulation; the others go on
                metrics = clv_models.holdout_metrics(fit, calibration, duration)
                histograms[model] = clv_models.repeat_purchase_histogram(fit, calibration)
                scores[model] = metrics["holdout_mae"]
            except (ValueError, ArithmeticError) as exc:
                fit = replace(fit, converged=False, note=f"holdout backtest failed: {exc}")
                metrics = {}
        rows.append(_row(fit, "calibration", w, config, run_id, False, **metrics))

    warnings = []
    if settings.model != "auto":
        chosen = settings.model
    elif scores:
        chosen = min(scores, key=scores.get)
    else:
        chosen = settings.candidates[0]
        warnings.append(f"no candidate could be tested on the holdout; {chosen} chosen without a backtest")

    rfm = stats.final
    purchase = clv_models.fit_purchase_model(chosen, rfm, settings.penalizer, settings.min_repeat_customers)
    if not purchase.usable:
        raise clv_models.ModelError(f"{clv_models.MODEL_NAMES[chosen]} on all data up to {w.as_of}: {purchase.note}")
    rows.append(_row(purchase, "final", w, config, run_id, True, note="; ".join(warnings) or None))

    correlation = clv_models.frequency_monetary_correlation(rfm)
    if math.isfinite(correlation) and abs(correlation) > HIGH_FREQUENCY_MONETARY_CORRELATION:
        warnings.append(f"frequency and monetary value correlate at {correlation:.2f}: the Gamma-Gamma independence assumption is doubtful")
    rows.extend(_spend_calibration_rows(calibration, settings, w, config, run_id))
    fallback = query(con, "clv/mean_purchase_day_value", {"as_of": w.as_of})[0]["mean_value"] or 0.0
    try:
        spend = clv_models.fit_spend_model(rfm, settings.penalizer, settings.min_repeat_customers)
    except clv_models.ModelError as exc:
        spend = _failed("gamma_gamma", exc, clv_models.customers(rfm))
    if spend.converged:
        rows.append(_row(spend, "final", w, config, run_id, True, frequency_monetary_correlation=correlation))
    else:
        rows.append(_row(spend, "final", w, config, run_id, False, frequency_monetary_correlation=correlation))
        empirical = clv_models.Fit("empirical_mean", {"mean": fallback}, float("nan"), True, clv_models.customers(rfm), 0, 0.0,
                                   note=f"Gamma-Gamma unusable ({spend.note}); every customer gets the mean purchase-day value")
        rows.append(_row(empirical, "final", w, config, run_id, True))
        warnings.append(empirical.note)
        spend = None
    _insert_rows(con, rows)
    return ModelRun(rows, purchase, spend, fallback, histograms, warnings)


def _spend_calibration_rows(calibration: pl.DataFrame, settings, w: Windows, config: Config, run_id: str) -> list[dict]:
    """Gamma-Gamma fitted on calibration, scored on the mean spend of customers who bought in the holdout."""
    try:
        fit = clv_models.fit_spend_model(calibration, settings.penalizer, settings.min_repeat_customers)
    except clv_models.ModelError as exc:
        return [_row(_failed("gamma_gamma", exc, clv_models.customers(calibration)), "calibration", w, config, run_id, False)]
    metrics = {}
    bought = calibration.filter(pl.col("frequency_holdout") > 0)
    if fit.converged and bought.height:
        predicted = clv_models.expected_order_value(fit, bought["frequency"].to_numpy(), bought["monetary_value"].to_numpy(), 0.0)
        actual = bought["monetary_value_holdout"].to_numpy()
        n = bought["n"].to_numpy().astype(float)
        error = predicted - actual
        metrics = {
            "holdout_customers": int(n.sum()),
            "holdout_actual": float((n * actual).sum() / n.sum()),
            "holdout_predicted": float((n * predicted).sum() / n.sum()),
            "holdout_mae": float((n * np.abs(error)).sum() / n.sum()),
            "holdout_rmse": float(np.sqrt((n * error**2).sum() / n.sum())),
            "holdout_correlation": clv_models.weighted_correlation(predicted, actual, n) if n.sum() > 2 else None,
        }
    return [_row(fit, "calibration", w, config, run_id, False,
                 frequency_monetary_correlation=clv_models.frequency_monetary_correlation(calibration), **metrics)]


def _insert_rows(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    create_tables(con, "clv/model_runs")
    con.register("_model_runs", pl.DataFrame(rows, infer_schema_length=None).to_arrow())
    run(con, "clv/insert_model_runs")
    con.unregister("_model_runs")


def chosen_fits(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> tuple[clv_models.Fit, clv_models.Fit | None, float, str]:
    """The latest run's final fits for an as-of date, rebuilt from clv.model_runs."""
    rows = query(con, "clv/chosen_models", {"as_of": as_of})
    purchase = [r for r in rows if r["model"] in clv_models.FITTERS]
    if not purchase:
        raise SegprofError(f"clv.model_runs has no chosen model for {as_of}: materialise clv_model first")
    spend = [r for r in rows if r["model"] in ("gamma_gamma", "empirical_mean")]

    def fit(r: dict) -> clv_models.Fit:
        return clv_models.Fit(r["model"], json.loads(r["parameters"]), float("nan"), True, 0, 0, 0.0)

    gg = next((fit(r) for r in spend if r["model"] == "gamma_gamma"), None)
    fallback = next((json.loads(r["parameters"])["mean"] for r in spend if r["model"] == "empirical_mean"), 0.0)
    return fit(purchase[0]), gg, fallback, purchase[0]["run_id"]


def score_customers(con: duckdb.DuckDBPyConnection, config: Config, dates: list[dt.date]) -> pl.DataFrame:
    """Score every customer at every scoring date with the fits chosen at the last date; write clv.customer_clv.

    The model fitted up to the as-of date scores the earlier period ends too (no refit per period),
    so that movement between periods reflects customers' behaviour, not changing parameters.
    One date at a time, so memory holds one date's customers. Returns the last date's scores.
    """
    settings = config.clv
    purchase, spend, fallback, run_id = chosen_fits(con, dates[-1])
    params = {"dates": dates, "purchase_model": purchase.model, "spend_model": "gamma_gamma" if spend else "empirical_mean",
              "horizon_months": settings.horizon_months, "run_id": run_id}
    create_tables(con, "clv/customer_clv")
    run(con, "clv/staged_customer_clv")
    for as_of in dates:
        scored = clv_models.score(purchase, spend, load_rfm(con, as_of), config.time_unit, settings.horizon_months,
                                  settings.annual_discount_rate, settings.margin_rate, fallback)
        tiers = clv_models.value_tiers(scored["clv"].to_numpy(), scored["p_alive"].to_numpy(),
                                       [(t.name, t.share) for t in settings.value_tiers], settings.rest_tier,
                                       settings.inactive_below_p_alive)
        scored = scored.with_columns(value_tier=pl.Series(tiers.tolist(), dtype=pl.String))
        con.register("_customer_clv", scored.to_arrow())
        run(con, "clv/stage_customer_clv", params)
        con.unregister("_customer_clv")
    con.begin()
    run(con, "clv/delete_customer_clv", params)
    run(con, "clv/insert_customer_clv")
    con.commit()
    return scored
