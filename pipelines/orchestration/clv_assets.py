"""CLV layer: transactions -> customer_rfm -> clv_model (fits, holdout backtest) -> customer_clv."""

import dagster as dg
import polars as pl
import polars.selectors as cs

from models.clv import MODEL_NAMES, Fit, intervals
from pipelines.errors import SegprofError
from pipelines.orchestration import periods
from pipelines.orchestration.asset_metadata import markdown_table, table_metadata
from pipelines.orchestration.ingest_assets import TRANSACTIONS
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.site import charts
from pipelines.warehouse import calendar, clv_tables, history, sharding


@dg.asset(deps=[TRANSACTIONS], kinds={"duckdb"}, **periods.PER_PERIOD, group_name="clv")
def customer_rfm(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """clv.customer_rfm: customer x as-of date (every period end and the as-of date) RFM statistics; a run computes
    the dates its history plan names (new, open or restated periods) and keeps the others."""
    config = segprof.value
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        scoring = calendar.read(con, config).scoring_dates
        dates = history.dates_to_compute(con, config)
        if config.sharded:
            sharding.gather_customer_rfm(con, config, dates, scoring)
        else:
            clv_tables.build_customer_rfm(con, config, dates, scoring)
        return dg.MaterializeResult(metadata={
            **table_metadata(con, "clv.customer_rfm"),
            "as_of_date": str(scoring[-1]),
            "scoring_dates": f"{len(scoring)} {config.profit.period} ends, {scoring[0]} to {scoring[-1]}",
            "computed": _dates(dates),
            "time_unit": config.time_unit,
        })


def _dates(dates: list) -> str:
    return f"{len(dates)}: {dates[0]} to {dates[-1]}" if len(dates) > 1 else (str(dates[0]) if dates else "none (all stored)")


@dg.asset(deps=[customer_rfm], kinds={"duckdb", "python"}, **periods.PER_PERIOD, group_name="clv")
def clv_model(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """clv.model_runs: one row per fit. At each refit date (config clv.refit) the scoring dates need, candidates and
    baselines are backtested at each forecast origin inside the data up to that date and the chosen one refitted on it;
    refits already made for unchanged data are kept."""
    config = segprof.value
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        cal = calendar.read(con, config)
        cal.windows(config)  # a configured holdout after the as-of date or beyond the data is an error
        for warning in cal.window_warnings(config):
            context.log.warning(warning)
        dates = history.dates_to_compute(con, config)
        needed = sorted(set(cal.refit_dates(config, dates).values()))
        fitted = clv_tables.refits_made(con)
        results, failed = {}, {}
        for day in needed:
            if day in dates or day not in fitted:
                try:
                    results[day] = clv_tables.refit(con, config, context.run_id, cal, day)
                except SegprofError as exc:  # too little data: the dates it would score fall back (score_customers)
                    failed[day] = str(exc)
                    context.log.warning(f"refit on {day}: no model ({exc})")
    if len(failed) == len(needed) and needed:
        raise SegprofError(*failed.values())
    for day, result in results.items():
        for warning in result.warnings:
            context.log.warning(f"refit on {day}: {warning}" if not warning.startswith("refit on") else warning)
    refits = pl.DataFrame([{"refit_date": day, "made": "this run" if day in results else ("failed" if day in failed else "kept"),
                            "model": MODEL_NAMES[results[day].purchase.model] if day in results else None}
                           for day in needed], schema={"refit_date": pl.Date, "made": pl.String, "model": pl.String})
    metadata = {"refits": dg.MetadataValue.md(markdown_table(refits) if refits.height else "None needed: every date is stored."),
                "refit_cadence": config.clv.refit}
    latest = cal.refit_dates(config, [cal.as_of])[cal.as_of]
    if latest in results:
        metadata.update(_fit_metadata(results[latest], cal.windows_at(config, latest)))
    return dg.MaterializeResult(metadata=metadata)


def _fit_metadata(result: clv_tables.ModelRun, w: calendar.Windows) -> dict:
    """The latest refit's choice, fits and validation evidence, as Dagster metadata."""
    runs = pl.DataFrame(result.rows, infer_schema_length=None)
    fits = runs.select(
        "stage", "forecast_origin", "model", "converged", "chosen", "parameters", "log_likelihood", "n_customers", "n_triples",
        pl.col("fit_seconds").round(3), *(pl.col(c).round(d) for c, d in (
            ("holdout_actual", 1), ("holdout_predicted", 1), ("holdout_log_likelihood", 1), ("bic", 1),
            ("frequency_table_error", 4), ("holdout_mae", 4), ("holdout_rmse", 4), ("holdout_correlation", 3)) if c in runs.columns),
    )
    metadata = {
        "chosen_model": MODEL_NAMES[result.purchase.model],
        "parameters": result.purchase.params,
        "parameter_standard_errors": standard_errors(result.purchase),
        "spend_parameters": result.spend.params if result.spend else {"fallback_mean_order_value": result.fallback_order_value},
        "spend_parameter_standard_errors": standard_errors(result.spend) if result.spend else "fallback mean: none",
        "log_likelihood": result.purchase.log_likelihood,
        "customers": result.purchase.n_customers,
        "distinct_triples": result.purchase.n_triples,
        "calibration": f"{w.first_date} to {w.calibration_end}",
        "holdout": f"{w.calibration_end} (excl.) to {w.holdout_end}",
        "fits": dg.MetadataValue.md(markdown_table(fits)),
        "warnings": dg.MetadataValue.md("\n".join(f"- {x}" for x in result.warnings) or "None."),
        "dagster/row_count": len(result.rows),
    }
    if "selection_rank" not in runs.columns:  # a warm-up fit: no choice, no holdout evidence
        return metadata
    ranking = (runs.filter(pl.col("selection_rank").is_not_null())
               .group_by("selection_rank", "model")
               .agg(origins=pl.len(), **{c: pl.when(pl.col(c).null_count() == 0).then(pl.col(c).sum().round(1))
                                         for c in ("holdout_log_likelihood", "bic")},  # null: -inf somewhere
                    frequency_table_error=pl.col("frequency_table_error").mean().round(4))
               .sort("selection_rank"))
    chosen = next((r for r in result.rows if r["stage"] == "calibration" and r["model"] == result.purchase.model), {})
    metadata.update({k: float(chosen[k]) for k in ("holdout_actual", "holdout_predicted", "holdout_log_likelihood", "bic",
                                                   "frequency_table_error", "holdout_gini", "holdout_top_decile_lift",
                                                   "holdout_mae", "holdout_rmse", "holdout_correlation") if chosen.get(k) is not None})
    metadata["selection"] = dg.MetadataValue.md(markdown_table(ranking))
    if "holdout_by_frequency" in result.validation:
        by_frequency = result.validation["holdout_by_frequency"].pivot(
            on="model", index=["calibration_frequency", "customers"], values="predicted").join(
            result.validation["holdout_by_frequency"].filter(pl.col("model") == result.purchase.model)
            .select("calibration_frequency", "actual"), on="calibration_frequency")
        metadata["holdout_by_calibration_frequency"] = dg.MetadataValue.md(markdown_table(by_frequency.with_columns(cs.float().round(1))))
    if "holdout_by_decile" in result.validation:
        deciles = result.validation["holdout_by_decile"].filter(pl.col("model") == result.purchase.model)
        metadata["holdout_by_decile"] = dg.MetadataValue.md(markdown_table(deciles.drop("run_id", "period_end").with_columns(cs.float().round(1))))
    if "repeat_purchase_tracking" in result.validation:
        metadata["tracking"] = dg.MetadataValue.md(charts.tracking(result.validation["repeat_purchase_tracking"], "Cumulative repeat purchases, actual vs expected"))
    if result.histograms:
        metadata["predicted_vs_actual"] = dg.MetadataValue.md(
            charts.repeat_purchase_histograms(result.histograms, "Customers by repeat purchases in calibration")
        )
    return metadata


def standard_errors(fit: Fit) -> dict | str:
    """The fit's standard errors for the metadata, or why there are none."""
    return intervals.standard_errors(fit) or "none: the log-likelihood's Hessian is not positive definite at the fit"


@dg.asset(deps=[clv_model], kinds={"duckdb"}, **periods.PER_PERIOD, group_name="clv")
def customer_clv(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """clv.customer_clv: customer x as-of date (every period end) p_alive, expected purchases, CLV and value tier, each
    date scored with the model refitted on or before it; a run scores the dates its history plan names."""
    config = segprof.value
    with duckdb.get_connection() as con:
        periods.claim(context, con, segprof.value)
        cal = calendar.read(con, config)
        dates = history.dates_to_compute(con, config)
        scored, notes = clv_tables.score_customers(con, config, cal, dates) if dates else (pl.DataFrame(), [])
    for note in notes:
        context.log.warning(note)
    with duckdb.get_connection() as con:
        metadata = {**table_metadata(con, "clv.customer_clv"), "as_of_date": str(cal.as_of), "computed": _dates(dates),
                    "fallbacks": dg.MetadataValue.md("\n".join(f"- {n}" for n in notes) or "None.")}
        if scored.height and dates[-1] == cal.as_of:
            tiers = scored.group_by("value_tier").agg(customers=pl.len(), clv=pl.col("clv").sum().round(0)).sort("clv", descending=True)
            metadata.update({"customer_equity": float(scored["clv"].sum()), "tiers": dg.MetadataValue.md(markdown_table(tiers))})
        return dg.MaterializeResult(metadata=metadata)
