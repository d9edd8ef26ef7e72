"""CLV layer I/O: RFM in DuckDB, model fits and holdout backtest through models.clv, the model registry and scores."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version

import duckdb
import numpy as np
import polars as pl

from models import clv as clv_models
from pipelines.config import Config
from pipelines.errors import SegprofError
from pipelines.warehouse import cost_model, history
from pipelines.warehouse.calendar import Calendar, Windows
from pipelines.warehouse.database import create_tables, frame, query, replace_rows, Rows, run, scope, write_tables

LIFETIMES_VERSION = version("lifetimes")
VALIDATION_TABLES = ("holdout_by_frequency", "holdout_by_decile", "repeat_purchase_tracking")


@dataclass
class ModelRun:
    """What clv_model decided: every fit as a registry row, the chosen fits, and what to show."""

    rows: list[dict]
    purchase: clv_models.Fit
    spend: clv_models.Fit | None
    fallback_order_value: float
    histograms: dict[str, pl.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    validation: dict[str, pl.DataFrame] = field(default_factory=dict)  # clv.<name>: this run's validation tables


def build_customer_rfm(con: duckdb.DuckDBPyConnection, config: Config, dates: list[dt.date], scoring: list[dt.date]) -> None:
    """RFM at `dates` (of the scoring dates), replacing what clv.customer_rfm held for them, in one transaction."""
    create_tables(con, "clv/customer_rfm")
    run(con, "clv/rfm")
    params = {"dates": dates, "days_per_unit": clv_models.DAYS_PER_UNIT[config.time_unit], "time_unit": config.time_unit,
              "purchase_day": config.clv.purchase_day}
    replace_rows(con, "clv.customer_rfm", "clv/insert_customer_rfm", params,
                 history.replaced(con, "clv.customer_rfm", "period_end", dates, scoring))


def load_rfm(con: duckdb.DuckDBPyConnection, dates: dt.date | list[dt.date]) -> pl.DataFrame:
    """clv.customer_rfm at one or several as-of dates (column period_end tells which)."""
    return frame(con, "clv/select_customer_rfm", {"dates": dates if isinstance(dates, list) else [dates]})


def _row(fit: clv_models.Fit, stage: str, w: Windows, config: Config, run_id: str, chosen: bool, origin: int = 0,
         **extra) -> dict:
    backtested = stage in ("calibration", "group_comparison")
    calibration_end, holdout_end = w.origins[origin] if backtested else (w.as_of, None)
    return {
        "run_id": run_id,
        "fitted_at": dt.datetime.now(),
        "stage": stage,
        "model": fit.model,
        "parameters": json.dumps(fit.params) if fit.params else None,
        "parameter_standard_errors": json.dumps(errors) if (errors := clv_models.intervals.standard_errors(fit)) else None,
        "parameter_covariance": json.dumps(fit.covariance) if fit.covariance is not None else None,
        "log_likelihood": fit.log_likelihood if math.isfinite(fit.log_likelihood) else None,
        "converged": fit.converged,
        "n_customers": fit.n_customers,
        "n_triples": fit.n_triples,
        "fit_seconds": fit.seconds,
        "period_end": w.as_of,
        "calibration_start": w.first_date,
        "calibration_end": calibration_end,
        "holdout_end": holdout_end,
        "forecast_origin": origin if backtested else None,
        "time_unit": config.time_unit,
        "chosen": chosen,
        "lifetimes_version": LIFETIMES_VERSION,
        "note": fit.note or None,
        **extra,
    }


@dataclass(frozen=True)
class Statistics:
    """What the fits need, compressed (rows with a customer count n): see sql/clv/*_statistics.sql. With clv.fit_by
    the rows are also by fit_group; pooled() sums them over the groups."""

    calibration: pl.DataFrame
    final: pl.DataFrame

    def pooled(self) -> Statistics:
        return Statistics(_pooled(self.calibration), _pooled(self.final))


def _pooled(stats: pl.DataFrame) -> pl.DataFrame:
    """Compressed statistics without fit_group: rows that differ only by group summed (none to sum without groups)."""
    columns = [c for c in stats.columns if c != "fit_group"]
    if "fit_group" not in stats.columns or stats["fit_group"].null_count() == stats.height:
        return stats.select(columns)
    keys = [c for c in columns if c != "n"]
    return stats.group_by(keys).agg(pl.col("n").sum()).sort(keys).select(columns)


def fit_groups(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """The temp table _fit_groups: each customer's group under clv.fit_by (sql/clv/fit_groups.sql), empty without."""
    run(con, "clv/fit_groups", {"fit_by": config.clv.fit_by})


LINE_DAYS = "_line_days"  # the customer days from staging.transactions (sql/clv/rfm.sql)
REFIT_DAYS = "_refit_line_days"  # those up to a refit date, staged once for its statements (sql/clv/stage_refit_days.sql)


def statistics(con: duckdb.DuckDBPyConnection, config: Config, w: Windows, line_days: str = LINE_DAYS) -> Statistics:
    """Compressed calibration/holdout and as-of statistics from the customer days (`line_days`) and clv.customer_rfm,
    by fit group with clv.fit_by."""
    run(con, "clv/rfm")
    run(con, "clv/calibration_holdout")
    fit_groups(con, config)
    days_per_unit = clv_models.DAYS_PER_UNIT[config.time_unit]
    calibration = frame(con, "clv/calibration_statistics", {
        "calibration_ends": [end for end, _ in w.origins], "holdout_ends": [holdout_end for _, holdout_end in w.origins],
        "days_per_unit": days_per_unit, "purchase_day": config.clv.purchase_day, "line_days": line_days})
    return Statistics(calibration=calibration, final=frame(con, "clv/final_statistics", {"as_of": w.as_of}))


def refit(con: duckdb.DuckDBPyConnection, config: Config, run_id: str, cal: Calendar, day: dt.date) -> ModelRun:
    """Choose and fit the models on the transactions up to `day` only (its own calibration and holdout inside that
    window; the lines aggregated into customer days once, for all of its statements), recorded in clv.model_runs with
    period_end `day`. A window too short for a holdout of
    no forecast origin (calibration periods shorter than clv.min_calibration_days) gets the warm-up fit
    (models.clv.warm_up)."""
    w = cal.windows_at(config, day)
    run(con, "clv/rfm")
    run(con, "clv/stage_refit_days", {"as_of": day})
    try:
        return _refit(con, config, run_id, w)
    finally:
        # a temp table: one the connection cannot drop (after a DuckDB failure) goes with the connection, and the
        # failure that matters is the refit's
        with contextlib.suppress(duckdb.Error):
            run(con, "clv/drop_refit_days")


def _refit(con: duckdb.DuckDBPyConnection, config: Config, run_id: str, w: Windows) -> ModelRun:
    """refit's choice and fits, from the customer days it staged up to the refit date."""
    day = w.as_of
    if w.origins:
        try:
            return fit_models(con, config, run_id, w, statistics(con, config, w, REFIT_DAYS), line_days=REFIT_DAYS)
        except clv_models.ModelError as exc:
            raise SegprofError(f"refit on {day}: {exc}") from exc
    settings = config.clv
    fallback = _mean_purchase_day_value(con, day, settings.purchase_day, REFIT_DAYS)
    fit_groups(con, config)
    reason = (f"refit on {day}: a calibration period from {w.first_date} to {w.calibration_end} is shorter than "
              f"clv.min_calibration_days ({settings.min_calibration_days})")
    try:
        selection = clv_models.warm_up(
            _pooled(frame(con, "clv/final_statistics", {"as_of": day})), model=settings.model, candidates=settings.candidates,
            fallback_order_value=fallback, reason=reason, penalizer=settings.penalizer,
            min_repeat_customers=settings.min_repeat_customers)
    except clv_models.ModelError as exc:
        raise SegprofError(f"{reason}, and no model can be fitted on it: {exc}") from exc
    return _record(con, config, run_id, w, selection, {})


def _mean_purchase_day_value(con: duckdb.DuckDBPyConnection, as_of: dt.date, purchase_day: str, line_days: str = LINE_DAYS) -> float:
    run(con, "clv/rfm")  # the customer_days macro: purchase days under the configured policy
    return query(con, "clv/mean_purchase_day_value", {"as_of": as_of, "purchase_day": purchase_day,
                                                      "line_days": line_days})[0]["mean_value"] or 0.0


def fit_models(con: duckdb.DuckDBPyConnection, config: Config, run_id: str, w: Windows, stats: Statistics,
               window_warnings: list[str] | None = None, line_days: str = LINE_DAYS) -> ModelRun:
    """Backtest every candidate on the holdout, choose, refit the choice and Gamma-Gamma up to the window's as-of
    date (models.clv.selection decides); with clv.fit_by, compare the choice pooled and by group (models.clv.groups)
    and fit it per group when by group wins. Every fit is recorded in clv.model_runs."""
    settings = config.clv
    fallback = _mean_purchase_day_value(con, w.as_of, settings.purchase_day, line_days)
    pooled = stats.pooled()
    selection = clv_models.select_models(
        pooled.calibration, pooled.final, model=settings.model, candidates=settings.candidates,
        holdout_duration=w.holdout_days / clv_models.DAYS_PER_UNIT[config.time_unit], fallback_order_value=fallback,
        penalizer=settings.penalizer, min_repeat_customers=settings.min_repeat_customers, as_of=w.as_of,
        min_backtest_repeat_customers=settings.min_backtest_repeat_customers,
    )
    selection.warnings[:0] = window_warnings or []
    if settings.fit_by:
        _fit_by_group(config, w, stats, selection)
    validation = {"holdout_by_frequency": selection.validation.get("by_frequency"),
                  "holdout_by_decile": selection.validation.get("by_decile"),
                  "repeat_purchase_tracking": _tracking(con, config, w, selection, line_days)}
    return _record(con, config, run_id, w, selection, validation)


def _fit_by_group(config: Config, w: Windows, stats: Statistics, selection: clv_models.Selection) -> None:
    """Pooled against by group for the chosen purchase model (models.clv.groups), and the groups' final fits when by
    group wins: added to the selection's records (clv.model_runs) and warnings."""
    s = config.clv
    result = clv_models.groups.compare(
        selection.purchase.model, stats.calibration.rename({"fit_group": s.fit_by}), s.fit_by,
        w.holdout_days / clv_models.DAYS_PER_UNIT[config.time_unit], penalizer=s.penalizer,
        min_repeat_customers=s.min_repeat_customers, min_group_repeat_customers=s.min_group_repeat_customers)
    selection.records += clv_models.groups.comparison_records(result)
    if result.winner != clv_models.groups.BY_GROUP:
        selection.warnings.append(f"fits by {s.fit_by}: pooled kept" + (f" ({result.reason})" if result.reason else
                                                                         ", by group did not forecast the holdout better"))
        return
    fitted = clv_models.groups.final_fits(selection.purchase.model, stats.final.rename({"fit_group": s.fit_by}), s.fit_by, penalizer=s.penalizer,
                                          min_repeat_customers=s.min_repeat_customers)
    selection.records += fitted.records
    selection.warnings += [f"fits by {s.fit_by}: by group won on the holdout; {len(fitted.fits)} of "
                           f"{len(result.groups)} groups scored with their own fits", *fitted.warnings]


def _record(con: duckdb.DuckDBPyConnection, config: Config, run_id: str, w: Windows, selection: clv_models.Selection,
            validation: dict[str, pl.DataFrame | None]) -> ModelRun:
    """A selection's fits into clv.model_runs and its validation tables, as this run's rows for the window's as-of date."""
    rows = [_row(r.fit, r.stage, w, config, run_id, r.chosen, **{"fit_group": None, **r.metrics}) for r in selection.records]
    validation = {k: v.select(run_id=pl.lit(run_id), period_end=pl.lit(w.as_of), *v.columns)
                  for k, v in validation.items() if v is not None and v.height}
    _insert(con, run_id, w.as_of, {"model_runs": pl.DataFrame(rows, infer_schema_length=None), **validation})
    return ModelRun(rows, selection.purchase, selection.spend, selection.fallback_order_value, selection.histograms,
                    selection.warnings, validation)


def _tracking(con: duckdb.DuckDBPyConnection, config: Config, w: Windows, selection: clv_models.Selection,
              line_days: str = LINE_DAYS) -> pl.DataFrame:
    """Cumulative repeat purchases by week of the customers acquired by the calibration end, actual and under
    each purchase model's calibration fit at forecast origin 0."""
    fits = [r.fit for r in selection.records
            if r.stage == "calibration" and r.metrics.get("origin") == 0 and r.fit.model in clv_models.FITTERS and r.fit.usable]
    params = {"first_date": w.first_date, "calibration_end": w.calibration_end, "holdout_end": w.holdout_end,
              "purchase_day": config.clv.purchase_day, "line_days": line_days}
    cohort = frame(con, "clv/tracking_acquisitions", params)
    actual = frame(con, "clv/tracking_repeat_purchases", params)
    if not fits or not cohort.height:
        return pl.DataFrame()
    weeks = pl.DataFrame({"week": range(1, (w.holdout_end - w.first_date).days // 7 + 2)}, schema={"week": pl.Int32})
    weeks = weeks.join(actual, on="week", how="left").with_columns(actual=pl.col("repeat_purchases").fill_null(0).cum_sum())
    end_day = np.minimum(weeks["week"].to_numpy() * 7 - 1, (w.holdout_end - w.first_date).days)
    week_end = [w.first_date + dt.timedelta(days=int(d)) for d in end_day]
    base = weeks.select("week", week_end=pl.Series(week_end),
                        period=pl.Series(["calibration" if d <= w.calibration_end else "holdout" for d in week_end]),
                        actual=pl.col("actual").cast(pl.Float64))
    days_per_unit = clv_models.DAYS_PER_UNIT[config.time_unit]
    acquisition_day, customers = cohort["acquisition_day"].to_numpy(), cohort["customers"].to_numpy()
    return pl.concat([
        base.select(pl.lit(fit.model).alias("model"), pl.all()).with_columns(predicted=pl.Series(
            clv_models.validation.tracking(fit, acquisition_day, customers, end_day, days_per_unit)))
        for fit in fits])


def _insert(con: duckdb.DuckDBPyConnection, run_id: str, as_of: dt.date, tables: dict[str, pl.DataFrame]) -> None:
    """This run's rows for one refit date into clv.<name> for each name (a metric no fit has is null), replacing the
    run's rows for that date, in one transaction."""
    create_tables(con, *(f"clv/{name}" for name in ("model_runs", *VALIDATION_TABLES)))
    for name, rows in tables.items():
        con.register(f"_{name}", rows.to_arrow())
    where = scope("run_id", run_id).also("period_end", as_of)
    write_tables(con, *(Rows(f"clv.{name}", source=f"_{name}", scope=where, partial=True) for name in tables))
    for name in tables:
        con.unregister(f"_{name}")


def refits_made(con: duckdb.DuckDBPyConnection) -> set[dt.date]:
    """The refit dates clv.model_runs holds a chosen model for."""
    create_tables(con, "clv/model_runs")
    return {row["period_end"] for row in query(con, "clv/refit_dates")}


def _fit(r: dict) -> clv_models.Fit:
    covariance = json.loads(r["parameter_covariance"]) if r["parameter_covariance"] else None
    return clv_models.Fit(r["model"], json.loads(r["parameters"]), float("nan"), True, 0, 0, 0.0, covariance=covariance)


def chosen_fits(con: duckdb.DuckDBPyConnection, as_of: dt.date, run_id: str | None = None,
                ) -> tuple[clv_models.Fit, clv_models.Fit | None, float, str]:
    """The pooled final fits for an as-of (refit) date, rebuilt from clv.model_runs: the run `run_id`'s, or the latest
    run's (DateFits.read, without the groups' fits)."""
    fits = DateFits.read(con, as_of, run_id)
    return fits.purchase, fits.spend, fits.fallback, fits.run_id


def interval_settings(config: Config, fallback_order_value: float) -> clv_models.intervals.IntervalSettings:
    """How customers are scored, and how the intervals of their scores are taken (config clv)."""
    s = config.clv
    return clv_models.intervals.IntervalSettings(config.time_unit, s.horizon_months, s.annual_discount_rate,
                                                 fallback_order_value, s.interval_level, s.interval_draws, s.interval_seed,
                                                 s.interval_method)


def valuation(config: Config) -> clv_models.Valuation:
    """How CLV values expected spend (config clv.value): in profit terms from the P&L's cost model, or by margin rate."""
    s = config.clv
    return clv_models.Valuation(s.value, s.margin_rate, s.cogs_rate_prior_purchases, config.profit.returns.handling_per_return)


def customers_at(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date) -> pl.DataFrame:
    """clv.customer_rfm at a scoring date and, for CLV in profit terms, each customer's cost history up to that date
    only (sql/clv/customer_unit_costs.sql): what models.clv.score values them from."""
    rfm = load_rfm(con, as_of)
    if config.clv.value != "profit":
        return rfm
    run(con, "profit/cost_rates")
    costs = frame(con, "clv/customer_unit_costs", {**cost_model.price_parameters(config), "as_of": as_of,
                                                   "horizon_months": config.clv.horizon_months})
    return rfm.join(costs, on="customer_id", how="left", maintain_order="left")


def interval_dates(config: Config, scoring: list[dt.date]) -> list[dt.date]:
    """The scoring dates that get intervals: the latest, or every one with clv.interval_dates all."""
    return scoring if config.clv.interval_dates == "all" else scoring[-1:]


def _score(config: Config, purchase: clv_models.Fit, spend: clv_models.Fit | None, fallback: float,
           customers: pl.DataFrame) -> pl.DataFrame:
    """models.clv.score with the configured horizon, discounting and valuation."""
    s = config.clv
    return clv_models.score(purchase, spend, customers, config.time_unit, s.horizon_months, s.annual_discount_rate,
                            s.margin_rate, fallback, s.return_rate, s.return_rate_prior_purchases, valuation(config))


def with_intervals(scored: pl.DataFrame, purchase: clv_models.Fit, spend: clv_models.Fit | None, fallback: float,
                   config: Config, wanted: bool) -> pl.DataFrame:
    """Scores with clv_low/high and p_alive_low/high from the sampling distribution of the parameters of the fits that
    scored them (models.clv.intervals) when `wanted`; null otherwise."""
    if not wanted:
        return scored.with_columns(pl.lit(None, pl.Float64).alias(c) for c in clv_models.intervals.CUSTOMER_COLUMNS)
    return clv_models.intervals.with_customer_intervals(scored, purchase, spend, interval_settings(config, fallback))


@dataclass(frozen=True)
class DateFits:
    """The fits of the refit that scores a date: pooled (purchase, Gamma-Gamma or None, the fallback order value,
    the run that made them) and by group (clv.fit_by; empty when pooled won)."""

    purchase: clv_models.Fit
    spend: clv_models.Fit | None
    fallback: float
    run_id: str
    groups: dict[str, tuple[clv_models.Fit, clv_models.Fit | None]]

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, refit: dt.date, run_id: str | None = None) -> DateFits:
        """The chosen final fits of refit date `refit` in run `run_id` (or the latest run), from clv.model_runs: the
        pooled ones (fit_group null) and, where by group won, each group's purchase fit and Gamma-Gamma (None where
        the group keeps the pooled spend model)."""
        rows = query(con, "clv/chosen_models", {"as_of": refit, "run_id": run_id})
        pooled = [r for r in rows if r["fit_group"] is None]
        purchase = next((r for r in pooled if r["model"] in clv_models.FITTERS), None)
        if purchase is None:
            raise SegprofError(f"clv.model_runs has no chosen model for {refit}{f' in run {run_id}' if run_id else ''}: "
                               "materialise clv_model first")

        def spend(group: str | None) -> clv_models.Fit | None:
            return next((_fit(r) for r in rows if r["fit_group"] == group and r["model"] == "gamma_gamma"), None)

        fallback = next((json.loads(r["parameters"])["mean"] for r in pooled if r["model"] == "empirical_mean"), 0.0)
        groups = {r["fit_group"]: (_fit(r), spend(r["fit_group"]))
                  for r in rows if r["fit_group"] is not None and r["model"] in clv_models.FITTERS}
        return cls(_fit(purchase), spend(None), fallback, purchase["run_id"], groups)

    def parts(self, customers: pl.DataFrame) -> Iterator[tuple[str | None, clv_models.Fit, clv_models.Fit | None, pl.DataFrame]]:
        """(fit group or None, purchase fit, spend fit, the customers it scores) for each fit that scores some of
        `customers` (with their fit_group where the refit has group fits)."""
        if not self.groups:
            yield None, self.purchase, self.spend, customers.drop("fit_group", strict=False)
            return
        own = pl.col("fit_group").is_in(list(self.groups)).fill_null(False)
        parts = [(None, self.purchase, self.spend, customers.filter(~own)),
                 *((group, purchase, spend or self.spend, customers.filter(pl.col("fit_group") == group))
                   for group, (purchase, spend) in self.groups.items())]
        yield from ((group, purchase, spend, rows.drop("fit_group")) for group, purchase, spend, rows in parts if rows.height)


def _score_date(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date, refit_date: dt.date, made: list[dt.date],
                fits: dict[dt.date, DateFits | None], groups: pl.DataFrame | None, wanted: bool,
                notes: list[str]) -> pl.DataFrame:
    """One date of score_customers: its customers scored by the refit `refit_date` (or the latest earlier usable one)
    and staged into _staged_customer_clv; returns the scores, empty when no refit can score the date (noted)."""
    customers = customers_at(con, config, as_of)
    if groups is not None:
        customers = customers.join(groups, on="customer_id", how="left", maintain_order="left")
    for refit in [refit_date, *(d for d in made if d < refit_date)]:
        if refit not in fits:
            fits[refit] = DateFits.read(con, refit) if refit in made else None
        if fits[refit] is None:
            continue
        try:
            parts = [(group, purchase, spend, _score(config, purchase, spend, fits[refit].fallback, rows))
                     for group, purchase, spend, rows in fits[refit].parts(customers)]
        except clv_models.ModelError as exc:
            notes.append(f"{as_of}: the refit of {refit} cannot score it ({exc})")
            continue
        break
    else:
        notes.append(f"{as_of}: not scored, no model fitted on the data up to then can score it")
        return pl.DataFrame()
    del customers
    if refit != refit_date:
        notes.append(f"{as_of}: scored with the refit of {refit}, the latest usable one")
    scored = pl.concat([
        with_intervals(rows, purchase, spend, fits[refit].fallback, config, wanted).with_columns(
            fit_group=pl.lit(group, pl.String), spend_model=pl.lit("gamma_gamma" if spend else "empirical_mean"))
        for group, purchase, spend, rows in parts], how="diagonal_relaxed")
    del parts
    settings = config.clv
    tiers = clv_models.value_tiers(scored["clv"].to_numpy(), scored["p_alive"].to_numpy(),
                                   [(t.name, t.share) for t in settings.value_tiers], settings.rest_tier,
                                   settings.inactive_below_p_alive)
    scored = scored.with_columns(value_tier=pl.Series(tiers.tolist(), dtype=pl.String))
    con.register("_customer_clv", scored.to_arrow())
    run(con, "clv/stage_customer_clv", {
        "purchase_model": fits[refit].purchase.model, "horizon_months": settings.horizon_months,
        "run_id": fits[refit].run_id, "fitted_through": refit, "value_basis": settings.value})
    con.unregister("_customer_clv")
    return scored


def score_customers(con: duckdb.DuckDBPyConnection, config: Config, cal: Calendar, dates: list[dt.date]) -> tuple[pl.DataFrame, list[str]]:
    """Score every customer at each of `dates` with the models refitted on or before it (Calendar.refit_dates, read
    from clv.model_runs); write clv.customer_clv for those dates. A date's scores therefore use no data after it.
    Where that refit has fits by group (clv.fit_by), a group's customers are scored with their group's fits. The
    intervals (at the dates interval_dates names) come from the parameters of the fits that scored each customer.

    When that refit has no usable model (too little data) or its scores are not finite, the latest earlier refit
    scores the date; with none, the date is not scored (its P&L is still in profit.customer_profit). One date at a
    time, so memory holds one date's customers: a date's frames are let go before the next date is read. Returns the
    last of `dates`' scores (empty when it was not scored) and what fell back.
    """
    refits = cal.refit_dates(config, dates)
    made = sorted(refits_made(con), reverse=True)
    fits: dict[dt.date, DateFits | None] = {}
    create_tables(con, "clv/customer_clv")
    run(con, "clv/staged_customer_clv")
    groups = None
    if config.clv.fit_by:
        fit_groups(con, config)
        groups = frame(con, "clv/select_fit_groups")
    scored, notes = pl.DataFrame(), []
    wanted = set(interval_dates(config, cal.scoring_dates))
    for as_of in dates:
        scored = pl.DataFrame()  # the previous date's scores go before this date's customers are read
        scored = _score_date(con, config, as_of, refits[as_of], made, fits, groups, as_of in wanted, notes)
    replace_rows(con, "clv.customer_clv", source="_staged_customer_clv",
                 scope=history.replaced(con, "clv.customer_clv", "period_end", dates, cal.scoring_dates))
    # Under interval_dates latest, the as-of date of an earlier run that is now a closed period end loses its intervals:
    # its stored figures stay, and the warehouse holds what a fresh run would (docs/clv.md, Uncertainty).
    run(con, "clv/clear_intervals", {"dates": sorted(wanted)})
    return scored, notes
