"""CLV layer I/O: RFM in DuckDB, model fits and holdout backtest through models.clv, the model registry and scores."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from importlib.metadata import version

import duckdb
import polars as pl

from models import clv as clv_models
from pipelines.config import Config
from pipelines.errors import SegprofError
from pipelines.warehouse.calendar import Windows
from pipelines.warehouse.database import create_tables, frame, query, replace_rows, Rows, run, scope, write_tables

LIFETIMES_VERSION = version("lifetimes")


@dataclass
class ModelRun:
    """What clv_model decided: every fit as a registry row, the chosen fits, and what to show."""

    rows: list[dict]
    purchase: clv_models.Fit
    spend: clv_models.Fit | None
    fallback_order_value: float
    histograms: dict[str, pl.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def build_customer_rfm(con: duckdb.DuckDBPyConnection, config: Config, dates: list[dt.date]) -> None:
    """RFM at every scoring date, replacing what clv.customer_rfm held for those dates, in one transaction."""
    create_tables(con, "clv/customer_rfm")
    run(con, "clv/rfm")
    params = {"dates": dates, "days_per_unit": clv_models.DAYS_PER_UNIT[config.time_unit], "time_unit": config.time_unit}
    replace_rows(con, "clv.customer_rfm", "clv/insert_customer_rfm", params, scope("as_of_date", *dates))


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
    """Backtest every candidate on the holdout, choose, refit the choice and Gamma-Gamma up to the as-of date
    (models.clv.selection decides); every fit is recorded in clv.model_runs."""
    settings = config.clv
    fallback = query(con, "clv/mean_purchase_day_value", {"as_of": w.as_of})[0]["mean_value"] or 0.0
    selection = clv_models.select_models(
        stats.calibration, stats.final, model=settings.model, candidates=settings.candidates,
        holdout_duration=w.holdout_days / clv_models.DAYS_PER_UNIT[config.time_unit], fallback_order_value=fallback,
        penalizer=settings.penalizer, min_repeat_customers=settings.min_repeat_customers, as_of=w.as_of,
    )
    rows = [_row(r.fit, r.stage, w, config, run_id, r.chosen, **r.metrics) for r in selection.records]
    _insert_rows(con, run_id, rows)
    return ModelRun(rows, selection.purchase, selection.spend, fallback, selection.histograms, selection.warnings)


def _insert_rows(con: duckdb.DuckDBPyConnection, run_id: str, rows: list[dict]) -> None:
    """This run's fits into clv.model_runs (a metric no fit has is null)."""
    create_tables(con, "clv/model_runs")
    con.register("_model_runs", pl.DataFrame(rows, infer_schema_length=None).to_arrow())
    write_tables(con, Rows("clv.model_runs", source="_model_runs", scope=scope("run_id", run_id), partial=True))
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
    replace_rows(con, "clv.customer_clv", source="_staged_customer_clv", scope=scope("as_of_date", *dates))
    return scored
