"""Pooled or by group: is one purchase model for all customers enough, or do groups of customers (an acquisition
channel, a region) each need their own parameters?

The same selection rule as the model choice (models.clv.selection.rank): at every forecast origin the model is
fitted once on all customers (pooled) and once per group (by group), and both forecast the holdout. By group's
holdout log-likelihood is the sum over its groups and its BIC counts every group's parameters. The higher holdout
log-likelihood summed over the origins wins; within the tie band the lower BIC does, so by group must forecast
clearly better to pay for its extra parameters. By group is only compared when every group has enough repeat
customers at every origin; otherwise pooled is kept and the reason said. When by group wins, each group's final
purchase and spend models are fitted on its customers alone (final_fits); a group whose fit is unusable keeps the
pooled one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl

from models.clv import intervals
from models.clv.fits import MODEL_NAMES, Fit, ModelError, failed
from models.clv.purchase import fit_purchase_model
from models.clv.rfm import customers, frequency_monetary_correlation
from models.clv.selection import Backtest, Record, backtest, bic, origins, rank
from models.clv.spend import fit_spend_model

POOLED, BY_GROUP = "pooled", "by_group"


@dataclass
class GroupComparison:
    """Which won (pooled or by_group), the totals it was decided on, and why by group was not compared if it was not."""

    winner: str
    groups: list[str]
    backtests: list[Backtest] = field(default_factory=list)  # pooled and by_group at every origin, as `rank` saw them
    reason: str | None = None


def _too_few(calibration: pl.DataFrame, column: str, minimum: int) -> list[str]:
    """The groups with fewer than `minimum` repeat customers at some origin."""
    return sorted({str(group) for _, frame in origins(calibration)
                   for (group,), rows in frame.group_by(column)
                   if customers(rows.filter(pl.col("frequency") > 0)) < minimum})


def _by_group(model: str, frame: pl.DataFrame, column: str, holdout_duration: float, penalizer: float,
              min_repeat_customers: int, origin: int) -> Backtest:
    """The groups' backtests at one origin as one: holdout log-likelihoods, calibration log-likelihoods, customers
    and parameters summed; untested (no metrics) when any group's could not be tested."""
    runs = [backtest(model, rows.drop(column), holdout_duration, penalizer, min_repeat_customers, origin)
            for _, rows in sorted(frame.group_by(column), key=lambda g: str(g[0][0]))]
    n = sum(b.fit.n_customers for b in runs)
    parameters = sum(len(b.fit.params) for b in runs)
    calibration_ll = sum(b.fit.log_likelihood for b in runs)
    fit = Fit(BY_GROUP, {}, calibration_ll, all(b.fit.usable for b in runs), n, sum(b.fit.n_triples for b in runs),
              sum(b.fit.seconds for b in runs))
    if not all(b.metrics for b in runs):
        return Backtest(fit, origin=origin)
    holdout = [b.metrics["holdout_log_likelihood"] for b in runs]
    metrics = {"holdout_log_likelihood": None if None in holdout else sum(holdout), "n_parameters": parameters,
               "bic": bic(calibration_ll, parameters, n) if math.isfinite(calibration_ll) else None}
    return Backtest(fit, metrics, origin=origin)


def compare(model: str, calibration: pl.DataFrame, column: str, holdout_duration: float, *, penalizer: float = 0.0,
            min_repeat_customers: int = 10, min_group_repeat_customers: int = 100) -> GroupComparison:
    """Pooled against by-group fits of `model`, by the selection rule over the forecast origins of `calibration`
    (statistics with holdout counts as select_models takes them, plus the group `column`)."""
    groups = sorted(str(g) for g in calibration[column].unique())
    if len(groups) < 2:
        return GroupComparison(POOLED, groups, reason=f"{column} has {len(groups)} value(s): nothing to fit apart")
    if few := _too_few(calibration, column, min_group_repeat_customers):
        return GroupComparison(POOLED, groups, reason=f"fewer than {min_group_repeat_customers:,} repeat customers in "
                                                      f"{column} {', '.join(few)}")
    backtests = []
    for origin, frame in origins(calibration):
        pooled = backtest(model, frame.drop(column), holdout_duration, penalizer, min_repeat_customers, origin)
        pooled.fit = Fit(POOLED, pooled.fit.params, pooled.fit.log_likelihood, pooled.fit.converged,
                         pooled.fit.n_customers, pooled.fit.n_triples, pooled.fit.seconds, pooled.fit.note)
        backtests += [pooled, _by_group(model, frame, column, holdout_duration, penalizer, min_repeat_customers, origin)]
    ranked = rank(backtests)
    if not ranked:
        return GroupComparison(POOLED, groups, backtests, "neither could be tested at every origin")
    return GroupComparison(ranked[0], groups, backtests)


def comparison_records(result: GroupComparison) -> list[Record]:
    """The comparison as clv.model_runs records it: pooled and by_group at every forecast origin (stage
    group_comparison), the winner chosen and ranked 1; when by group was not compared, one pooled row saying why."""
    if not result.backtests:  # not compared: the decision and its reason
        return [Record("group_comparison", Fit(POOLED, {}, math.nan, True, 0, 0, 0.0), True, {"note": result.reason})]
    order = [result.winner, *(m for m in (POOLED, BY_GROUP) if m != result.winner)]
    return [Record("group_comparison", b.fit, b.fit.model == result.winner,
                   {**b.metrics, "origin": b.origin, "selection_rank": order.index(b.fit.model) + 1, "note": result.reason})
            for b in result.backtests]


@dataclass(frozen=True)
class GroupFits:
    """The final fits of each group by group scores (purchase, and Gamma-Gamma or None for the pooled spend model),
    the records of every group's fits, and what fell back to the pooled fits."""

    fits: dict[str, tuple[Fit, Fit | None]]
    records: list[Record]
    warnings: list[str]


def final_fits(model: str, final: pl.DataFrame, column: str, *, penalizer: float = 0.0,
               min_repeat_customers: int = 10) -> GroupFits:
    """`model` and Gamma-Gamma fitted on each group's statistics of `final` alone (the `column` of compressed
    statistics at the as-of date), with their covariances for the intervals. A group whose purchase fit is unusable
    is left out, so its customers keep the pooled fits; a group without a usable Gamma-Gamma keeps the pooled spend."""
    fits, records, warnings = {}, [], []
    for (group,), rows in sorted(final.group_by(column), key=lambda g: str(g[0][0])):
        group, rows = str(group), rows.drop(column)
        try:
            purchase = fit_purchase_model(model, rows, penalizer, min_repeat_customers)
        except ModelError as exc:
            purchase = failed(model, exc, customers(rows))
        if not purchase.usable:
            records.append(Record("final", purchase, False, {"fit_group": group}))
            warnings.append(f"{column} {group}: {MODEL_NAMES[model]} unusable on its customers alone ({purchase.note}); "
                            "they keep the pooled fits")
            continue
        purchase = intervals.with_covariance(purchase, rows)
        try:
            spend = intervals.with_covariance(fit_spend_model(rows, penalizer, min_repeat_customers), rows)
        except ModelError as exc:
            spend = failed("gamma_gamma", exc, customers(rows))
        if not spend.converged:
            warnings.append(f"{column} {group}: Gamma-Gamma unusable on its customers alone ({spend.note}); "
                            "they keep the pooled spend model")
        records += [Record("final", purchase, True, {"fit_group": group}),
                    Record("final", spend, spend.converged, {"fit_group": group,
                                                             "frequency_monetary_correlation": frequency_monetary_correlation(rows)})]
        fits[group] = (purchase, spend if spend.converged else None)
    return GroupFits(fits, records, warnings)
