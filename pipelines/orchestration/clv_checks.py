"""CLV checks: chosen fits have valid parameters; one valid CLV row per customer; the customer_clv suite.

The suite reads the CLV rows of the scoring dates the run computed: the other dates keep the rows checked when they
were published."""

import json
import math

import dagster as dg
import polars as pl

from pipelines.orchestration.asset_metadata import markdown_table
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.orchestration.suite_checks import period_expectations_check
from pipelines.warehouse import calendar
from pipelines.warehouse.database import query


@dg.asset_check(asset="clv_model", blocking=True,
                description="The chosen fits of the refit that scores the as-of date have finite, positive parameters.")
def clv_model_parameters_valid(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    config = segprof.value
    with duckdb.get_connection() as con:
        cal = calendar.read(con, config)
        rows = query(con, "clv/chosen_parameters", {"as_of": cal.refit_dates(config, [cal.as_of])[cal.as_of]})
    bad = []
    for r in rows:
        if not r["chosen"] or r["stage"] != "final":  # a chosen group_comparison row names a way of fitting, not a fit
            continue
        params = json.loads(r["parameters"] or "{}")
        if not params or not all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in params.values()):
            bad.append(f"{r['model']} ({r['stage']}{', ' + r['fit_group'] if r['fit_group'] else ''}): {params}")
    return dg.AssetCheckResult(
        passed=bool(rows) and not bad,
        description="; ".join(bad) or (None if rows else "no fits recorded for this as-of date"),
        metadata={"fits": dg.MetadataValue.md(markdown_table(pl.DataFrame(rows)) if rows else "None.")},
    )


@dg.asset_check(
    asset="customer_clv",
    blocking=True,
    description="At the as-of date, exactly one CLV row per customer; p_alive in [0, 1]; CLV finite, non-negative under clv.value margin_rate, "
                "and equal to its formula from the stored components (docs/clv.md).",
)
def customer_clv_valid(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        stats = query(con, "clv/check_customer_clv", {"as_of": calendar.read(con, segprof.value).as_of})[0]
    problems = []
    if stats["rows"] != stats["distinct_customers"]:
        problems.append(f"{stats['rows'] - stats['distinct_customers']:,} duplicate customer rows")
    if stats["missing"]:
        problems.append(f"{stats['missing']:,} customers in clv.customer_rfm have no CLV")
    for key, label in (("p_alive_out_of_range", "p_alive outside [0, 1]"), ("negative_clv", "negative CLV"),
                       ("bad_expected_purchases", "expected purchases not finite or negative"),
                       ("clv_not_its_formula", "CLV not discounted_purchases x (gross margin - cost to serve - returns cost)"
                                               " per order - expected marketing cost")):
        if stats[key]:
            problems.append(f"{stats[key]:,} rows with {label}")
    return dg.AssetCheckResult(passed=not problems, description="; ".join(problems) or None, metadata=stats)

CHECKS = [clv_model_parameters_valid, customer_clv_valid, period_expectations_check("customer_clv", "clv.customer_clv")]
