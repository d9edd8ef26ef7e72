"""Pooled or by group: is one purchase model for all customers enough, or do groups of customers (an acquisition
channel, a region) each need their own parameters?

The same selection rule as the model choice (models.clv.selection.rank): at every forecast origin the model is
fitted once on all customers (pooled) and once per group (by group), and both forecast the holdout. By group's
holdout log-likelihood is the sum over its groups and its BIC counts every group's parameters. The higher holdout
log-likelihood summed over the origins wins; within the tie band the lower BIC does, so by group must forecast
clearly better to pay for its extra parameters. By group is only compared when every group has enough repeat
customers at every origin; otherwise pooled is kept and the reason said.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import polars as pl

from models.clv.fits import Fit
from models.clv.rfm import customers
from models.clv.selection import Backtest, backtest, bic, origins, rank

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
