"""Parameter uncertainty: standard errors, and intervals for CLV, p_alive and a group's customer equity.

Standard errors come from the Hessian of the total negative log-likelihood of the compressed statistics at
the fitted parameters, taken in log parameters (as lifetimes does): its inverse is the covariance of the
log parameters, and a parameter's standard error is the parameter times the square root of its variance
(the delta method). Intervals come from the parameters' sampling distribution: `draws` parameter vectors
from a multivariate normal on the log parameters (Gamma-Gamma's q as log(q - 1), so that q stays above 1
and the population mean spend p v / (q - 1) exists), each scoring every distinct (frequency, recency, t)
triple once. A customer's interval is the `level` central interval of its CLV (or p_alive) over the draws;
a group's is that of the group's summed CLV per draw, so that customers' shared parameter uncertainty adds
up rather than averaging out. Draws are seeded: the same fits, data and settings give the same intervals.

Spend is linear in the mean repeat spend m given frequency f (Gamma-Gamma's conditional expectation is
(p v + p f m) / (p f + q - 1)), and CLV is net of expected returns, a factor (1 - expected_return_rate) per customer
that does not depend on the parameters (models.clv.returns, taken as known): a customer's interval is that factor
times the interval of the gross CLV, and a group's CLV per draw needs only, per triple, its customers and their
mean repeat spend, each weighted by that factor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from scipy.special import hyp2f1

from models.clv.fits import Fit
from models.clv.purchase import _bgnbd_objective, _Codes, log_likelihood
from models.clv.rfm import compress
from models.clv.scoring import LIFETIMES_UNITS_PER_MONTH, triple_values
from models.clv.spend import _gamma_gamma_objective, spend_pairs

HESSIAN_STEP = 1e-4  # in log parameters: about the fourth root of machine epsilon, for central second differences
OFFSETS = {"gamma_gamma": {"q": 1.0}}  # parameters drawn as log(value - offset)
CHUNK = 20_000  # customer rows per quantile pass: draws x CHUNK floats at a time
DRAW_BLOCK_CELLS = 2_000_000  # draws x triples evaluated at once (BG/NBD), to bound memory
TRIPLE = ["frequency", "recency", "t"]
CUSTOMER_COLUMNS = ("p_alive_low", "p_alive_high", "clv_low", "clv_high")


@dataclass(frozen=True)
class IntervalSettings:
    """How CLV is scored (as models.clv.scoring.score) and how its intervals are drawn."""

    time_unit: str
    horizon_months: int = 12
    annual_discount_rate: float = 0.10
    margin_rate: float = 1.0
    fallback_order_value: float = 0.0
    level: float = 0.80
    draws: int = 100
    seed: int = 0

    @property
    def quantiles(self) -> tuple[float, float]:
        return (1 - self.level) / 2, (1 + self.level) / 2


# --------------------------------------------------------------------------- standard errors


def negative_log_likelihood(fit: Fit, stats: pl.DataFrame) -> Callable[[np.ndarray], float]:
    """The total negative log-likelihood of `stats` (one row per customer or compressed) as a function of the
    fit's log parameters, in the order of fit.params: purchase models on (frequency, recency, t), Gamma-Gamma
    on the (frequency, monetary_value) of repeat customers with positive spend."""
    names = list(fit.params)
    if fit.model == "gamma_gamma":
        pairs = spend_pairs(stats)
        f, m, n = (pairs[c].to_numpy().astype(float) for c in ("frequency", "monetary_value", "n"))
        return lambda x: _gamma_gamma_objective(np.asarray(x), f, m, n, 0.0)[0] * n.sum()
    triples = compress(stats)
    if fit.model == "bgnbd":  # the vectorised likelihood the fit uses, on time scaled to a maximum age of 1
        x_, tx, T, w = (triples[c].to_numpy() for c in ("frequency", "recency", "t", "n"))
        scale = 1.0 / T.max()
        codes = (_Codes.of(x_), _Codes.of(tx * scale), _Codes.of(T * scale))
        shift = np.array([0.0, np.log(scale), 0.0, 0.0])  # log alpha on the scaled time
        return lambda x: _bgnbd_objective(np.asarray(x) + shift, *codes, w.astype(float), 0.0)[0] * w.sum()
    return lambda x: -log_likelihood(fit.model, dict(zip(names, np.exp(x))), triples)


def hessian(fn: Callable[[np.ndarray], float], x: np.ndarray, step: float = HESSIAN_STEP) -> np.ndarray:
    """Second derivatives of fn at x by central differences."""
    x = np.asarray(x, dtype=float)
    k = len(x)
    e = np.eye(k) * step
    f0 = fn(x)
    h = np.empty((k, k))
    for i in range(k):
        h[i, i] = (fn(x + e[i]) - 2 * f0 + fn(x - e[i])) / step**2
        for j in range(i):
            h[i, j] = h[j, i] = (fn(x + e[i] + e[j]) - fn(x + e[i] - e[j]) - fn(x - e[i] + e[j])
                                 + fn(x - e[i] - e[j])) / (4 * step**2)
    return h


def with_covariance(fit: Fit, stats: pl.DataFrame) -> Fit:
    """The fit with the covariance of its log parameters: the inverse Hessian of the total negative
    log-likelihood at the fit. None (with a note) when the Hessian is not positive definite: the
    likelihood is flat or the fit is not at a maximum, and the standard errors do not exist."""
    if not fit.usable:
        return fit
    with np.errstate(all="ignore"):
        h = hessian(negative_log_likelihood(fit, stats), np.log(list(fit.params.values())))
    try:
        np.linalg.cholesky(h)
        covariance = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        note = "; ".join(x for x in (fit.note, "Hessian not positive definite: no standard errors or intervals") if x)
        return replace(fit, covariance=None, note=note)
    return replace(fit, covariance=((covariance + covariance.T) / 2).tolist())


def standard_errors(fit: Fit) -> dict[str, float] | None:
    """Each parameter's standard error (delta method from the log-parameter covariance); None without one."""
    if fit.covariance is None:
        return None
    variance = np.diag(np.asarray(fit.covariance))
    return {name: float(value * np.sqrt(v)) for (name, value), v in zip(fit.params.items(), variance)}


# --------------------------------------------------------------------------- draws


def parameter_draws(fit: Fit, draws: int, rng: np.random.Generator) -> list[dict[str, float]]:
    """`draws` parameter sets from the fit's sampling distribution: normal in log(value - offset)."""
    names, values = list(fit.params), np.array(list(fit.params.values()))
    offset = np.array([OFFSETS.get(fit.model, {}).get(name, 0.0) for name in names])
    # covariance of log(value - offset) from that of log(value): d log(value - offset) / d log(value) = value / (value - offset)
    jacobian = values / (values - offset)
    covariance = np.asarray(fit.covariance) * np.outer(jacobian, jacobian)
    sampled = rng.multivariate_normal(np.log(values - offset), covariance, size=draws, method="cholesky")
    return [dict(zip(names, np.exp(row) + offset)) for row in sampled]


@dataclass(frozen=True)
class TripleDraws:
    """Per draw (rows) and distinct (frequency, recency, t) triple (columns): p_alive, and CLV as
    base + slope x mean repeat spend, margin and discounting included."""

    triples: pl.DataFrame  # frequency, recency, t, _triple (the column index)
    p_alive: np.ndarray
    base: np.ndarray
    slope: np.ndarray


def available(purchase: Fit, spend: Fit | None) -> bool:
    """Intervals need the purchase fit's covariance, and Gamma-Gamma's when it is used (the fallback mean is taken as known)."""
    return purchase.covariance is not None and (spend is None or spend.covariance is not None)


def triple_draws(purchase: Fit, spend: Fit | None, stats: pl.DataFrame, settings: IntervalSettings) -> TripleDraws:
    """Score every distinct triple of `stats` under each parameter draw (one vectorised pass per draw)."""
    triples = stats.select(TRIPLE).unique().sort(TRIPLE).with_row_index("_triple")
    f, r, t = (triples[c].to_numpy().astype(float) for c in TRIPLE)
    rng = np.random.default_rng(settings.seed)
    purchases = parameter_draws(purchase, settings.draws, rng)
    spends = parameter_draws(spend, settings.draws, rng) if spend is not None else None
    shape = (settings.draws, len(f))
    p_alive, base, slope = (np.empty(shape, dtype=np.float32) for _ in range(3))
    for d, (p_alive[d], discounted) in enumerate(_purchase_values(purchase, purchases, f, r, t, settings)):
        value = settings.margin_rate * discounted
        if spends is None:
            base[d], slope[d] = value * settings.fallback_order_value, 0.0
        else:
            p, q, v = (spends[d][k] for k in ("p", "q", "v"))
            base[d], slope[d] = value * p * v / (p * f + q - 1), value * p * f / (p * f + q - 1)
    for values in (p_alive, base, slope):  # a draw far from the fit can break the formulas: no value rather than inf
        values[~np.isfinite(values)] = np.nan
    return TripleDraws(triples, p_alive, base, slope)


def _bgnbd_values(draws: list[dict[str, float]], f: np.ndarray, r: np.ndarray, t: np.ndarray, time_unit: str,
                  horizon_months: int, annual_discount_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """BG/NBD p_alive and discounted expected purchases (models.clv.scoring.triple_values) for many parameter draws
    at once: the formulas of models.clv.purchase.expected_purchases and lifetimes' conditional_probability_alive,
    broadcast over draws (rows) and triples (columns), the hypergeometric term once per (frequency, t) pair.
    A test proves equality with triple_values draw by draw."""
    rr, alpha, a, b = (np.array([d[k] for d in draws])[:, None] for k in ("r", "alpha", "a", "b"))
    pairs, inverse = np.unique(np.stack([f, t]), axis=1, return_inverse=True)
    inverse = inverse.ravel()
    x, T = pairs
    repeat = f > 0
    with np.errstate(all="ignore"):
        log_odds = (rr + f) * np.log((alpha + t) / (alpha + r)) + np.log(a / (b + np.maximum(f, 1) - 1))
        denominator = 1 + np.where(repeat, np.exp(log_odds), 0.0)
        step = LIFETIMES_UNITS_PER_MONTH[time_unit]
        monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
        ca, cb, cc = np.broadcast_arrays(rr + x, b + x, a + b + x - 1)
        discounted, previous = 0.0, 0.0
        for month in range(1, horizon_months + 1):
            h = month * step
            z = np.broadcast_to(h / (alpha + T + h), ca.shape)
            ln_hyp = np.log(hyp2f1(ca, cb, cc, z))
            bad = np.isinf(ln_hyp)
            if bad.any():  # lifetimes' equivalent form where the first overflows
                ln_hyp[bad] = (np.log(hyp2f1(cc[bad] - ca[bad], cc[bad] - cb[bad], cc[bad], z[bad]))
                               + (cc[bad] - ca[bad] - cb[bad]) * np.log(1 - z[bad]))
            numerator = (a + b + x - 1) / (a - 1) * (1 - np.exp(ln_hyp + (rr + x) * np.log((alpha + T) / (alpha + h + T))))
            # the denominator does not depend on the horizon: discount per pair, spread to the triples once
            discounted = discounted + (numerator - previous) / (1 + monthly_rate) ** month
            previous = numerator
    return np.clip(1 / denominator, 0.0, 1.0), discounted[:, inverse] / denominator


def _purchase_values(purchase: Fit, draws: list[dict[str, float]], f: np.ndarray, r: np.ndarray, t: np.ndarray,
                     settings: IntervalSettings) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(p_alive, discounted expected purchases) per triple for each draw in turn: BG/NBD in blocks of draws, the other
    models one draw at a time through models.clv.scoring.triple_values."""
    horizon = (settings.time_unit, settings.horizon_months, settings.annual_discount_rate)
    if purchase.model == "bgnbd":
        block = max(1, DRAW_BLOCK_CELLS // max(1, len(f)))
        for start in range(0, len(draws), block):
            p_alive, discounted = _bgnbd_values(draws[start:start + block], f, r, t, *horizon)
            yield from zip(p_alive, discounted)
        return
    for params in draws:
        with np.errstate(all="ignore"):
            p_alive, _, discounted = triple_values(Fit(purchase.model, params, float("nan"), True, 0, 0, 0.0), f, r, t, *horizon)
        yield p_alive, discounted


def _index(draws: TripleDraws, rows: pl.DataFrame) -> np.ndarray:
    return rows.join(draws.triples, on=TRIPLE, how="left")["_triple"].to_numpy()


# --------------------------------------------------------------------------- intervals


def customer_intervals(purchase: Fit, spend: Fit | None, rfm: pl.DataFrame, settings: IntervalSettings) -> pl.DataFrame:
    """Per distinct (frequency, recency, t, monetary_value) of `rfm`: p_alive_low/high and clv_low/high, the
    `level` central intervals over the parameter draws; join on those four columns. Null without covariances, and
    where a draw cannot value the customer (parameters far from the fit, e.g. at an early refit on little data)."""
    keys = [*TRIPLE, "monetary_value"]
    rows = rfm.select(keys).unique().sort(keys)
    columns = CUSTOMER_COLUMNS
    if not available(purchase, spend):
        return rows.with_columns(pl.lit(None, pl.Float64).alias(c) for c in columns)
    draws = triple_draws(purchase, spend, rows, settings)
    index = _index(draws, rows)
    spend_m = np.maximum(rows["monetary_value"].to_numpy().astype(float), 0.0)  # as models.clv.spend.expected_order_value
    q = list(settings.quantiles)
    p_alive = np.quantile(draws.p_alive, q, axis=0)[:, index]
    clv = np.empty((2, rows.height))
    for start in range(0, rows.height, CHUNK):
        i = index[start:start + CHUNK]
        values = draws.base[:, i] + draws.slope[:, i] * spend_m[start:start + CHUNK].astype(np.float32)
        clv[:, start:start + CHUNK] = np.quantile(values, q, axis=0)
    return rows.with_columns(**{name: pl.Series(values.astype(float)).fill_nan(None) for name, values in
                                zip(columns, (p_alive[0], p_alive[1], clv[0], clv[1]))})


def with_customer_intervals(scored: pl.DataFrame, purchase: Fit, spend: Fit | None, settings: IntervalSettings) -> pl.DataFrame:
    """Scores (models.clv.scoring.score) with p_alive_low/high and clv_low/high: the CLV interval net of each
    customer's expected returns (scored's expected_return_rate; none without the column)."""
    bounds = customer_intervals(purchase, spend, scored, settings)
    kept = 1 - pl.col("expected_return_rate") if "expected_return_rate" in scored.columns else pl.lit(1.0)
    return (scored.join(bounds, on=[*TRIPLE, "monetary_value"], how="left")
            .with_columns((pl.col(c) * kept).alias(c) for c in ("clv_low", "clv_high")))


def group_equity_intervals(purchase: Fit, spend: Fit | None, groups: pl.DataFrame, by: list[str],
                           settings: IntervalSettings) -> pl.DataFrame:
    """Per group (the `by` columns): equity_low/high, the `level` central interval over the parameter draws of the
    group's summed CLV. `groups` has rows (by..., frequency, recency, t, kept, kept_spend): the group's customers at
    that triple, each counted as the share of spend it is expected to keep (1 - expected return rate; 1 without
    returns), and the sum of their mean repeat spend (below zero taken as zero) weighted alike. Null without covariances."""
    keys = groups.select(by).unique().sort(by)
    groups = groups.sort([*by, *TRIPLE])  # a fixed order of the sums below: the same rows give the same bits
    if not available(purchase, spend) or not groups.height:
        return keys.with_columns(equity_low=pl.lit(None, pl.Float64), equity_high=pl.lit(None, pl.Float64))
    draws = triple_draws(purchase, spend, groups, settings)
    group = groups.join(keys.with_row_index("_group"), on=by, how="left")["_group"].to_numpy()
    index = _index(draws, groups)
    # customers and summed spend per (triple, group): equity per draw is then two matrix products
    customers, spend_sum = (np.zeros((draws.triples.height, keys.height)) for _ in range(2))
    np.add.at(customers, (index, group), groups["kept"].to_numpy().astype(float))
    np.add.at(spend_sum, (index, group), groups["kept_spend"].to_numpy().astype(float))
    base, slope = draws.base.astype(float), draws.slope.astype(float)
    equity = np.nan_to_num(base) @ customers + np.nan_to_num(slope) @ spend_sum
    # a group with a customer some draw cannot value has no interval (nor has that customer)
    broken = (~(np.isfinite(base) & np.isfinite(slope))).astype(float) @ ((customers > 0) | (spend_sum > 0)) > 0
    equity[broken] = np.nan
    low, high = np.quantile(equity, list(settings.quantiles), axis=0)
    return keys.with_columns(equity_low=pl.Series(low).fill_nan(None), equity_high=pl.Series(high).fill_nan(None))
