"""CLV layer: transactions -> customer_rfm -> clv_model (fits, holdout backtest) -> customer_clv."""

import dagster as dg
import polars as pl
import polars.selectors as cs

from models.clv import MODEL_NAMES, Fit, intervals
from pipelines.orchestration.asset_metadata import markdown_table, table_metadata
from pipelines.orchestration.ingest_assets import TRANSACTIONS
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.site import charts
from pipelines.warehouse import calendar, clv_tables, sharding


@dg.asset(deps=[TRANSACTIONS], kinds={"duckdb"}, group_name="clv")
def customer_rfm(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """clv.customer_rfm: customer x as-of date (every period end and the as-of date) RFM statistics."""
    config = segprof.value
    with duckdb.get_connection() as con:
        dates = calendar.read(con, config).scoring_dates
        if config.sharded:
            sharding.gather_customer_rfm(con, config, dates)
        else:
            clv_tables.build_customer_rfm(con, config, dates)
        return dg.MaterializeResult(metadata={
            **table_metadata(con, "clv.customer_rfm"),
            "as_of_date": str(dates[-1]),
            "scoring_dates": f"{len(dates)} {config.profit.period} ends, {dates[0]} to {dates[-1]}",
            "time_unit": config.time_unit,
        })


@dg.asset(deps=[customer_rfm], kinds={"duckdb", "python"}, group_name="clv")
def clv_model(context: dg.AssetExecutionContext, segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """clv.model_runs: one row per fit; candidates and baselines backtested at each forecast origin, the chosen one refitted up to the as-of date."""
    config = segprof.value
    with duckdb.get_connection() as con:
        dates = calendar.read(con, config)
        w = dates.windows(config)
        stats = sharding.merged_statistics(con, config) if config.sharded else clv_tables.statistics(con, config, w)
        result = clv_tables.fit_models(con, config, context.run_id, w, stats, dates.window_warnings(config))
    for warning in result.warnings:
        context.log.warning(warning)
    runs = pl.DataFrame(result.rows, infer_schema_length=None)
    fits = runs.select(
        "stage", "forecast_origin", "model", "converged", "chosen", "parameters", "log_likelihood", "n_customers", "n_triples",
        pl.col("fit_seconds").round(3), pl.col("holdout_actual").round(1), pl.col("holdout_predicted").round(1),
        pl.col("holdout_log_likelihood").round(1), pl.col("bic").round(1), pl.col("frequency_table_error").round(4),
        pl.col("holdout_mae").round(4), pl.col("holdout_rmse").round(4), pl.col("holdout_correlation").round(3),
    )
    ranking = (runs.filter(pl.col("selection_rank").is_not_null())
               .group_by("selection_rank", "model")
               .agg(origins=pl.len(), **{c: pl.when(pl.col(c).null_count() == 0).then(pl.col(c).sum().round(1))
                                         for c in ("holdout_log_likelihood", "bic")},  # null: -inf somewhere
                    frequency_table_error=pl.col("frequency_table_error").mean().round(4))
               .sort("selection_rank"))
    chosen = next((r for r in result.rows if r["stage"] == "calibration" and r["model"] == result.purchase.model), {})
    holdout = {k: float(chosen[k]) for k in ("holdout_actual", "holdout_predicted", "holdout_log_likelihood", "bic",
                                             "frequency_table_error", "holdout_gini", "holdout_top_decile_lift",
                                             "holdout_mae", "holdout_rmse", "holdout_correlation") if chosen.get(k) is not None}
    metadata = {
        "chosen_model": MODEL_NAMES[result.purchase.model],
        **holdout,
        "parameters": result.purchase.params,
        "parameter_standard_errors": standard_errors(result.purchase),
        "spend_parameters": result.spend.params if result.spend else {"fallback_mean_order_value": result.fallback_order_value},
        "spend_parameter_standard_errors": standard_errors(result.spend) if result.spend else "fallback mean: none",
        "log_likelihood": result.purchase.log_likelihood,
        "customers": result.purchase.n_customers,
        "distinct_triples": result.purchase.n_triples,
        "calibration": f"{w.first_date} to {w.calibration_end}",
        "holdout": f"{w.calibration_end} (excl.) to {w.holdout_end}",
        "selection": dg.MetadataValue.md(markdown_table(ranking)),
        "fits": dg.MetadataValue.md(markdown_table(fits)),
        "warnings": dg.MetadataValue.md("\n".join(f"- {x}" for x in result.warnings) or "None."),
        "dagster/row_count": len(result.rows),
    }
    if "holdout_by_frequency" in result.validation:
        by_frequency = result.validation["holdout_by_frequency"].pivot(
            on="model", index=["calibration_frequency", "customers"], values="predicted").join(
            result.validation["holdout_by_frequency"].filter(pl.col("model") == result.purchase.model)
            .select("calibration_frequency", "actual"), on="calibration_frequency")
        metadata["holdout_by_calibration_frequency"] = dg.MetadataValue.md(markdown_table(by_frequency.with_columns(cs.float().round(1))))
    if "holdout_by_decile" in result.validation:
        deciles = result.validation["holdout_by_decile"].filter(pl.col("model") == result.purchase.model)
        metadata["holdout_by_decile"] = dg.MetadataValue.md(markdown_table(deciles.drop("run_id", "as_of_date").with_columns(cs.float().round(1))))
    if "repeat_purchase_tracking" in result.validation:
        metadata["tracking"] = dg.MetadataValue.md(charts.tracking(result.validation["repeat_purchase_tracking"], "Cumulative repeat purchases, actual vs expected"))
    if result.histograms:
        metadata["predicted_vs_actual"] = dg.MetadataValue.md(
            charts.repeat_purchase_histograms(result.histograms, "Customers by repeat purchases in calibration")
        )
    return dg.MaterializeResult(metadata=metadata)


def standard_errors(fit: Fit) -> dict | str:
    """The fit's standard errors for the metadata, or why there are none."""
    return intervals.standard_errors(fit) or "none: the log-likelihood's Hessian is not positive definite at the fit"


@dg.asset(deps=[clv_model], kinds={"duckdb"}, group_name="clv")
def customer_clv(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """clv.customer_clv: customer x as-of date (every period end) p_alive, expected purchases, CLV and value tier."""
    config = segprof.value
    with duckdb.get_connection() as con:
        dates = calendar.read(con, config).scoring_dates
        scored = clv_tables.score_customers(con, config, dates)
        scored = scored.filter(pl.col("as_of_date") == dates[-1])
        tiers = scored.group_by("value_tier").agg(customers=pl.len(), clv=pl.col("clv").sum().round(0)).sort("clv", descending=True)
        return dg.MaterializeResult(metadata={
            **table_metadata(con, "clv.customer_clv"),
            "as_of_date": str(dates[-1]),
            "customer_equity": float(scored["clv"].sum()),
            "tiers": dg.MetadataValue.md(markdown_table(tiers)),
        })
