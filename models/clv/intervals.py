"""Parameter uncertainty: standard errors, and intervals for CLV, p_alive and a group's customer equity.

Standard errors come from the Hessian of the total negative log-likelihood of the compressed statistics at
the fitted parameters, taken in log parameters (as lifetimes does): its inverse is the covariance of the
log parameters, and a parameter's standard error is the parameter times the square root of its variance
(the delta method).

Intervals come from the parameters' sampling distribution: normal in the sampled coordinates, the log parameters
(Gamma-Gamma's q as log(q - 1), so that q stays above 1 and the population mean spend p v / (q - 1) exists), with
that covariance; purchase and spend parameters are independent, as they are fitted apart. Two methods
(IntervalSettings.method):

- delta (the default): the scores are linearised at the fit. Every key is valued at the fitted parameters and at a
  forward step of STEP in each sampled coordinate in turn (k + 1 parameter sets for a model of k parameters), which
  gives the gradient g of its CLV and p_alive in those coordinates; with Σ their covariance, a customer's CLV
  interval is CLV ± z sqrt(g' Σ g), z the standard normal quantile of (1 + level) / 2, and p_alive's is taken on the
  logit scale, expit(logit(p) ± z sqrt(g' Σ g) / (p (1 - p))), so that it stays inside [0, 1]. A group's summed CLV
  has the sum of its customers' gradients, so its interval is its equity ± z sqrt(g' Σ g) with g that sum:
  customers' shared parameter uncertainty adds up rather than averaging out. Deterministic, and symmetric but for
  p_alive's.
- draws: `draws` parameter vectors from that normal, each scoring every distinct key once. A customer's interval is
  the `level` central interval of its CLV (or p_alive) over the draws; a group's is that of the group's summed CLV
  per draw. Draws are seeded: the same fits, data and settings give the same intervals. They follow the scores'
  curvature across the parameters' uncertainty (asymmetric intervals), which the delta method ignores: worth their
  cost where that uncertainty is wide, as at an early refit on little data.

Spend is linear in the mean repeat spend m given frequency f (Gamma-Gamma's conditional expectation is
(p v + p f m) / (p f + q - 1)), and CLV is linear in the customer's unit economics (models.clv.unit_economics), which
do not depend on the parameters and are taken as known: per parameter set d (a draw, or the fit and its steps),
  CLV = kept x discounted spend(d) - cost_to_serve_per_order x discounted purchases(d) - marketing_cost_per_month x marketed(d)
with kept = 1 - cogs_rate - returns_cost_rate (margin_rate x (1 - expected return rate) under the margin-rate fallback),
discounted spend = discounted purchases x expected order value, and marketed the discounted months the customer is
expected to be marketed (models.clv.scoring.marketing_weights), which depends on the parameters and on the months their
past purchases already keep them marketed (the key's marketed_months). So a customer's CLV per parameter set is the same
formula as the point CLV, and a group's (value and gradient alike) needs only, per key, the sums of kept, kept x mean
repeat spend, cost to serve per order and marketing cost per month over its customers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

import numpy as np
import polars as pl
from scipy.special import expit, hyp2f1, logit, ndtri

from models.clv.fits import Fit
from models.clv.purchase import _BGData, _bgnbd_objective, _Codes, log_likelihood
from models.clv.rfm import compress
from models.clv.scoring import LIFETIMES_UNITS_PER_MONTH, marketing_weights, triple_values
from models.clv.spend import _SpendData, _gamma_gamma_objective, spend_pairs

HESSIAN_STEP = 1e-4  # in log parameters: about the fourth root of machine epsilon, for central second differences
STEP = 1e-6  # the delta method's forward step in the sampled coordinates: relative error of order 1e-6 in the gradient
OFFSETS = {"gamma_gamma": {"q": 1.0}}  # parameters sampled as log(value - offset)
CHUNK = 20_000  # customer rows per quantile pass: draws x CHUNK floats at a time
DRAW_BLOCK_CELLS = 2_000_000  # parameter sets x keys evaluated at once (BG/NBD), to bound memory
TRIPLE = ["frequency", "recency", "t"]
MARKETED = "marketed_months"
# A customer's unit economics (models.clv.unit_economics) as the intervals use them, and their values without them.
ECONOMICS = {"kept": 1.0, "cost_to_serve_per_order": 0.0, "marketing_cost_per_month": 0.0}
CUSTOMER_COLUMNS = ("p_alive_low", "p_alive_high", "clv_low", "clv_high")


@dataclass(frozen=True)
class IntervalSettings:
    """How CLV is scored (as models.clv.scoring.score) and how its intervals are taken: by the delta method, or from
    `draws` parameter draws seeded with `seed` (the draws method only)."""

    time_unit: str
    horizon_months: int = 12
    annual_discount_rate: float = 0.10
    fallback_order_value: float = 0.0
    level: float = 0.80
    draws: int = 100
    seed: int = 0
    method: Literal["delta", "draws"] = "delta"

    @property
    def quantiles(self) -> tuple[float, float]:
        return (1 - self.level) / 2, (1 + self.level) / 2

    @property
    def z(self) -> float:
        """The standard normal quantile of the interval's upper end: a normal value ± z sd holds `level`."""
        return float(ndtri(self.quantiles[1]))


# --------------------------------------------------------------------------- standard errors


def negative_log_likelihood(fit: Fit, stats: pl.DataFrame) -> Callable[[np.ndarray], float]:
    """The total negative log-likelihood of `stats` (one row per customer or compressed) as a function of the
    fit's log parameters, in the order of fit.params: purchase models on (frequency, recency, t), Gamma-Gamma
    on the (frequency, monetary_value) of repeat customers with positive spend."""
    names = list(fit.params)
    if fit.model == "gamma_gamma":
        pairs = spend_pairs(stats)
        f, m, n = (pairs[c].to_numpy().astype(float) for c in ("frequency", "monetary_value", "n"))
        data = _SpendData.of(f, m, n)
        return lambda x: _gamma_gamma_objective(np.asarray(x), data, 0.0)[0] * n.sum()
    triples = compress(stats)
    if fit.model == "bgnbd":  # the vectorised likelihood the fit uses, on time scaled to a maximum age of 1
        x_, tx, T, w = (triples[c].to_numpy() for c in ("frequency", "recency", "t", "n"))
        scale = 1.0 / T.max()
        codes = (_Codes.of(x_), _Codes.of(tx * scale), _Codes.of(T * scale))
        shift = np.array([0.0, np.log(scale), 0.0, 0.0])  # log alpha on the scaled time
        data = _BGData.of(*codes, w)
        return lambda x: _bgnbd_objective(np.asarray(x) + shift, data, 0.0)[0] * w.sum()
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


# --------------------------------------------------------------------------- parameter sets


def _sampling(fit: Fit) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The fit's parameter names and offsets, and the mean and covariance of its sampled coordinates log(value - offset)."""
    names, values = list(fit.params), np.array(list(fit.params.values()))
    offset = np.array([OFFSETS.get(fit.model, {}).get(name, 0.0) for name in names])
    # covariance of log(value - offset) from that of log(value): d log(value - offset) / d log(value) = value / (value - offset)
    jacobian = values / (values - offset)
    return names, offset, np.log(values - offset), np.asarray(fit.covariance) * np.outer(jacobian, jacobian)


def parameter_draws(fit: Fit, draws: int, rng: np.random.Generator) -> list[dict[str, float]]:
    """`draws` parameter sets from the fit's sampling distribution: normal in log(value - offset)."""
    names, offset, mean, covariance = _sampling(fit)
    sampled = rng.multivariate_normal(mean, covariance, size=draws, method="cholesky")
    return [dict(zip(names, np.exp(row) + offset)) for row in sampled]


def parameter_steps(fit: Fit) -> list[dict[str, float]]:
    """The fit's parameters, then those a forward STEP away in each sampled coordinate in turn (the delta method's)."""
    names, offset, mean, _ = _sampling(fit)
    points = mean + np.vstack([np.zeros(len(names)), STEP * np.eye(len(names))])
    return [dict(zip(names, np.exp(row) + offset)) for row in points]


def _spend_terms(params: dict[str, float] | None, f: np.ndarray, fallback: float) -> tuple[np.ndarray, np.ndarray]:
    """The expected order value as base + slope x mean repeat spend: Gamma-Gamma's p v / (p f + q - 1) and
    p f / (p f + q - 1) (models.clv.spend.expected_order_value); the fallback mean and 0 without a spend model."""
    if params is None:
        return np.full(len(f), fallback, dtype=float), np.zeros(len(f))
    p, q, v = (params[k] for k in ("p", "q", "v"))
    return p * v / (p * f + q - 1), p * f / (p * f + q - 1)


def available(purchase: Fit, spend: Fit | None) -> bool:
    """Intervals need the purchase fit's covariance, and Gamma-Gamma's when it is used (the fallback mean is taken as known)."""
    return purchase.covariance is not None and (spend is None or spend.covariance is not None)


def _keys(stats: pl.DataFrame) -> list[str]:
    """What the purchase model values once: (frequency, recency, t), and the months already marketed where there are any."""
    return [*TRIPLE, MARKETED] if MARKETED in stats.columns else TRIPLE


def _marketed_months(keys: pl.DataFrame, stats: pl.DataFrame) -> np.ndarray | None:
    """The keys' marketed_months where some customer of `stats` has a marketing cost; None otherwise, as marketing
    weights cost a predictive evaluation per month."""
    costs = stats.get_column("marketing_cost_per_month", default=pl.Series([0.0]))
    return keys[MARKETED].to_numpy() if MARKETED in keys.columns and (costs != 0).any() else None


def _purchase_values(purchase: Fit, sets: list[dict[str, float]], f: np.ndarray, r: np.ndarray, t: np.ndarray,
                     marketed_months: np.ndarray | None, settings: IntervalSettings,
                     ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(p_alive, discounted expected purchases, discounted months marketed) per key for each parameter set in turn:
    BG/NBD in blocks of sets, the other models one set at a time through models.clv.scoring."""
    horizon = (settings.time_unit, settings.horizon_months, settings.annual_discount_rate)
    if purchase.model == "bgnbd":
        block, pairs = max(1, DRAW_BLOCK_CELLS // max(1, len(f))), _pairs(f, t)
        for start in range(0, len(sets), block):
            yield from zip(*_bgnbd_values(sets[start:start + block], f, r, t, *horizon, marketed_months, pairs))
        return
    for params in sets:
        fit = Fit(purchase.model, params, float("nan"), True, 0, 0, 0.0)
        with np.errstate(all="ignore"):
            p_alive, _, discounted = triple_values(fit, f, r, t, *horizon)
            marketed = (np.zeros_like(f) if marketed_months is None
                        else marketing_weights(fit, f, r, t, marketed_months, *horizon))
        yield p_alive, discounted, marketed


def _pairs(f: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (frequency, t) pairs and each row's pair, through integer codes of each column (far faster than a
    unique over rows of two columns): marked in a table of every combination where it is not much larger than the rows."""
    x, age = _Codes.of(f), _Codes.of(t)
    width = len(age.values)
    code = x.index * width + age.index
    if len(x.values) * width <= 4 * len(code):
        seen = np.zeros(len(x.values) * width, dtype=bool)
        seen[code] = True
        codes, inverse = np.flatnonzero(seen), (np.cumsum(seen) - 1)[code]
    else:
        codes, inverse = np.unique(code, return_inverse=True)
    return x.values[codes // width], age.values[codes % width], inverse.ravel()


def _bgnbd_values(sets: list[dict[str, float]], f: np.ndarray, r: np.ndarray, t: np.ndarray, time_unit: str,
                  horizon_months: int, annual_discount_rate: float, marketed_months: np.ndarray | None = None,
                  pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BG/NBD p_alive, discounted expected purchases (models.clv.scoring.triple_values) and, with marketed_months,
    discounted months marketed (models.clv.scoring.marketing_weights; zeros without) for many parameter sets at
    once: the formulas of models.clv.purchase.expected_purchases, lifetimes' conditional_probability_alive and
    P(no purchase in h | alive) = ((alpha + T) / (alpha + T + h))^(r + x), broadcast over sets (rows) and keys
    (columns), the hypergeometric term once per (frequency, t) pair (`pairs`, as _pairs gives them). A test proves
    equality with scoring set by set."""
    rr, alpha, a, b = (np.array([d[k] for d in sets])[:, None] for k in ("r", "alpha", "a", "b"))
    x, T, inverse = pairs if pairs is not None else _pairs(f, t)
    repeat = f > 0
    with np.errstate(all="ignore"):
        log_odds = (rr + f) * np.log((alpha + t) / (alpha + r)) + np.log(a / (b + np.maximum(x, 1) - 1))[:, inverse]
        denominator = 1 + np.where(repeat, np.exp(log_odds), 0.0)
        step = LIFETIMES_UNITS_PER_MONTH[time_unit]
        monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
        ca, cb, cc = np.broadcast_arrays(rr + x, b + x, a + b + x - 1)
        p_alive = np.clip(1 / denominator, 0.0, 1.0)
        discounted, previous, marketed = 0.0, 0.0, np.zeros((len(sets), len(f)))
        for month in range(1, horizon_months + 1):
            h = month * step
            z = np.broadcast_to(h / (alpha + T + h), ca.shape)
            ln_hyp = np.log(hyp2f1(ca, cb, cc, z))
            bad = np.isinf(ln_hyp)
            if bad.any():  # lifetimes' equivalent form where the first overflows
                ln_hyp[bad] = (np.log(hyp2f1(cc[bad] - ca[bad], cc[bad] - cb[bad], cc[bad], z[bad]))
                               + (cc[bad] - ca[bad] - cb[bad]) * np.log(1 - z[bad]))
            numerator = (a + b + x - 1) / (a - 1) * (1 - np.exp(ln_hyp + (rr + x) * np.log((alpha + T) / (alpha + h + T))))
            # the denominator does not depend on the horizon: discount per pair, spread to the keys once
            discounted = discounted + (numerator - previous) / (1 + monthly_rate) ** month
            previous = numerator
            if marketed_months is not None:
                buys = p_alive * (1 - np.exp((rr + x) * np.log((alpha + T) / (alpha + T + h))))[:, inverse]
                marketed += np.where(marketed_months < month, np.clip(buys, 0.0, 1.0), 1.0) / (1 + monthly_rate) ** month
    return p_alive, discounted[:, inverse] / denominator, marketed


# --------------------------------------------------------------------------- draws


@dataclass(frozen=True)
class TripleDraws:
    """Per draw (rows) and distinct key (columns: a (frequency, recency, t) triple, with marketed_months where the
    statistics have it): p_alive, the discounted spend as base + slope x mean repeat spend, the discounted
    purchases, and the discounted months marketed (zero without marketed_months)."""

    triples: pl.DataFrame  # frequency, recency, t[, marketed_months], _triple (the column index)
    p_alive: np.ndarray
    base: np.ndarray
    slope: np.ndarray
    discounted: np.ndarray
    marketed: np.ndarray

    def values(self, index: np.ndarray, spend: np.ndarray, economics: dict[str, np.ndarray]) -> np.ndarray:
        """CLV per draw (rows) of customers at keys `index` with mean repeat spend `spend` and unit economics."""
        kept, serve, marketing = (economics[k].astype(np.float32) for k in ECONOMICS)
        return (kept * (self.base[:, index] + self.slope[:, index] * spend.astype(np.float32))
                - serve * self.discounted[:, index] - marketing * self.marketed[:, index])


def triple_draws(purchase: Fit, spend: Fit | None, stats: pl.DataFrame, settings: IntervalSettings) -> TripleDraws:
    """Score every distinct triple of `stats` under each parameter draw (one vectorised pass per draw)."""
    keys = _keys(stats)
    triples = stats.select(keys).unique().sort(keys).with_row_index("_triple")
    f, r, t = (triples[c].to_numpy().astype(float) for c in TRIPLE)
    rng = np.random.default_rng(settings.seed)
    purchases = parameter_draws(purchase, settings.draws, rng)
    spends = parameter_draws(spend, settings.draws, rng) if spend is not None else [None] * settings.draws
    shape = (settings.draws, len(f))
    p_alive, base, slope, discounted, marketed = (np.zeros(shape, dtype=np.float32) for _ in range(5))
    values = _purchase_values(purchase, purchases, f, r, t, _marketed_months(triples, stats), settings)
    for d, (p_alive[d], discounted[d], marketed[d]) in enumerate(values):
        base[d], slope[d] = (discounted[d] * term for term in _spend_terms(spends[d], f, settings.fallback_order_value))
    for values in (p_alive, base, slope, discounted, marketed):  # a draw far from the fit can break the formulas: no value rather than inf
        values[~np.isfinite(values)] = np.nan
    return TripleDraws(triples, p_alive, base, slope, discounted, marketed)


def _index(draws: TripleDraws, rows: pl.DataFrame) -> np.ndarray:
    return rows.join(draws.triples, on=_keys(rows), how="left", maintain_order="left")["_triple"].to_numpy()


def _drawn_customer_bounds(purchase: Fit, spend: Fit | None, rows: pl.DataFrame, settings: IntervalSettings) -> list[np.ndarray]:
    """p_alive_low/high and clv_low/high per row: the `level` central intervals over the parameter draws."""
    draws = triple_draws(purchase, spend, rows, settings)
    index = _index(draws, rows)
    spend_m = np.maximum(rows["monetary_value"].to_numpy().astype(float), 0.0)  # as models.clv.spend.expected_order_value
    economics = {k: rows[k].to_numpy() for k in ECONOMICS}
    q = list(settings.quantiles)
    p_alive = np.quantile(draws.p_alive, q, axis=0)[:, index]
    clv = np.empty((2, rows.height))
    for start in range(0, rows.height, CHUNK):
        part = slice(start, start + CHUNK)
        values = draws.values(index[part], spend_m[part], {k: v[part] for k, v in economics.items()})
        clv[:, start:start + CHUNK] = np.quantile(values, q, axis=0)
    return [p_alive[0], p_alive[1], clv[0], clv[1]]


def _drawn_group_equity(purchase: Fit, spend: Fit | None, groups: pl.DataFrame, group: np.ndarray, n_groups: int,
                        settings: IntervalSettings) -> np.ndarray:
    """Each group's summed CLV per draw (rows); NaN for a group with a customer some draw cannot value."""
    draws = triple_draws(purchase, spend, groups, settings)
    index = _index(draws, groups)
    # per (key, group): customers, summed spend, cost to serve and marketing; equity per draw is then matrix products
    terms = [(draws.base, "kept", 1.0), (draws.slope, "kept_spend", 1.0), (draws.discounted, "cost_to_serve_per_order", -1.0),
             (draws.marketed, "marketing_cost_per_month", -1.0)]
    equity, broken = np.zeros((len(draws.base), n_groups)), np.zeros((len(draws.base), n_groups), dtype=bool)
    for values, column, sign in terms:
        if column not in groups.columns:
            continue
        sums = np.zeros((draws.triples.height, n_groups))
        np.add.at(sums, (index, group), groups[column].to_numpy().astype(float))
        values = values.astype(float)
        equity += sign * (np.nan_to_num(values) @ sums)
        # a group with a customer some draw cannot value has no interval (nor has that customer)
        broken |= (~np.isfinite(values)).astype(float) @ (sums != 0) > 0
    equity[broken] = np.nan
    return equity


# --------------------------------------------------------------------------- delta method


class Linear(NamedTuple):
    """A quantity per row at the fit, and its derivatives in each sampled coordinate (one row per parameter)."""

    at_fit: np.ndarray
    slopes: np.ndarray


def _linear(sets: Iterator[tuple[np.ndarray, ...]], steps: int) -> list[Linear]:
    """Each quantity of the tuples `sets` yields (at the fit, then at each forward step) at the fit, with its forward
    differences: filled in as the sets come, so that only the fit's values and the slopes are kept."""
    at_fit = next(sets)
    slopes = [np.empty((steps, len(v))) for v in at_fit]
    for i, values in enumerate(sets):
        for out, value, fitted in zip(slopes, values, at_fit):
            np.subtract(value, fitted, out=out[i])
    for out in slopes:
        out /= STEP
    return [Linear(*pair) for pair in zip(at_fit, slopes)]


@dataclass(frozen=True)
class Linearised:
    """Per row of keys, linear in the parameters' sampled coordinates (parameter_steps): p_alive, the discounted
    purchases and the discounted months marketed (None without marketing costs) in the purchase parameters, the
    expected order value's base and slope (_spend_terms) in the spend parameters; with the covariances of the two
    models' coordinates (independent of each other)."""

    p_alive: Linear
    discounted: Linear
    marketed: Linear | None
    base: Linear
    slope: Linear
    purchase_covariance: np.ndarray
    spend_covariance: np.ndarray

    def clv(self, kept: np.ndarray, kept_spend: np.ndarray, serve: np.ndarray, marketing: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The CLV at the fit of rows with these (summed) unit economics and kept x mean repeat spend, and its
        gradients in the purchase and the spend parameters' sampled coordinates (one row per parameter)."""
        margin = kept * self.base.at_fit + kept_spend * self.slope.at_fit - serve  # per order
        value, purchase = margin * self.discounted.at_fit, margin * self.discounted.slopes
        if self.marketed is not None:
            value, purchase = value - marketing * self.marketed.at_fit, purchase - marketing * self.marketed.slopes
        return value, purchase, self.discounted.at_fit * (kept * self.base.slopes + kept_spend * self.slope.slopes)

    def sd(self, purchase: np.ndarray, spend: np.ndarray | None = None) -> np.ndarray:
        """sqrt(g' Σ g) per column of the gradients."""
        variance = _quadratic(purchase, self.purchase_covariance)
        return np.sqrt(variance if spend is None else variance + _quadratic(spend, self.spend_covariance))


def _quadratic(gradient: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    return np.einsum("in,ij,jn->n", gradient, covariance, gradient)


def linearise(purchase: Fit, spend: Fit | None, rows: pl.DataFrame, settings: IntervalSettings) -> Linearised:
    """Value every row of `rows` (keys: frequency, recency, t[, marketed_months]) at the fits and their forward steps:
    k + 1 sets of the purchase model's k parameters, j + 1 of Gamma-Gamma's j (one without it), the spend once per
    distinct frequency."""
    f, r, t = (rows[c].to_numpy().astype(float) for c in TRIPLE)
    marketed_months = _marketed_months(rows, rows)
    values = _purchase_values(purchase, parameter_steps(purchase), f, r, t, marketed_months, settings)
    if marketed_months is None:
        values = (v[:2] for v in values)
    p_alive, discounted, *marketed = _linear(values, len(purchase.params))
    spends, frequency = parameter_steps(spend) if spend is not None else [None], _Codes.of(f)
    spend_terms = (_spend_terms(s, frequency.values, settings.fallback_order_value) for s in spends)
    base, slope = (Linear(x.at_fit[frequency.index], x.slopes[:, frequency.index]) for x in _linear(spend_terms, len(spends) - 1))
    return Linearised(p_alive, discounted, marketed[0] if marketed else None, base, slope, _sampling(purchase)[3],
                      _sampling(spend)[3] if spend is not None else np.zeros((0, 0)))


def _delta_customer_bounds(purchase: Fit, spend: Fit | None, rows: pl.DataFrame, settings: IntervalSettings) -> list[np.ndarray]:
    """p_alive_low/high and clv_low/high per row by the delta method: CLV ± z sd, p_alive on the logit scale."""
    kept, serve, marketing = (rows[k].to_numpy().astype(float) for k in ECONOMICS)
    spend_m = np.maximum(rows["monetary_value"].to_numpy().astype(float), 0.0)  # as models.clv.spend.expected_order_value
    with np.errstate(all="ignore"):
        lin = linearise(purchase, spend, rows, settings)
        value, *gradients = lin.clv(kept, kept * spend_m, serve, marketing)
        clv_sd, p, p_sd = lin.sd(*gradients), lin.p_alive.at_fit, lin.sd(lin.p_alive.slopes)
        # on the logit scale sd / (p (1 - p)); p at 0 or 1 (a one-time buyer under BG/NBD) has no spread to show
        spread = np.where((p_sd > 0) & (p > 0) & (p < 1), settings.z * p_sd / (p * (1 - p)), 0.0)
        p_low, p_high = (np.where(np.isfinite(p_sd), np.where(spread > 0, expit(logit(p) + sign * spread), p), np.nan)
                         for sign in (-1, 1))
    return [p_low, p_high, value - settings.z * clv_sd, value + settings.z * clv_sd]


def _delta_group_moments(purchase: Fit, spend: Fit | None, groups: pl.DataFrame, group: np.ndarray, n_groups: int,
                         settings: IntervalSettings) -> tuple[np.ndarray, np.ndarray]:
    """Each group's summed CLV at the fit and its variance by the delta method, the gradient its customers' summed."""
    sums = [groups.get_column(k, default=pl.Series(np.zeros(groups.height))).to_numpy().astype(float)
            for k in ("kept", "kept_spend", "cost_to_serve_per_order", "marketing_cost_per_month")]
    with np.errstate(all="ignore"):
        lin = linearise(purchase, spend, groups, settings)
        value, purchase_gradient, spend_gradient = lin.clv(*sums)
        equity, *summed = (np.bincount(group, weights=v, minlength=n_groups)
                           for v in (value, *purchase_gradient, *spend_gradient))
        k = len(purchase_gradient)
        sd = lin.sd(np.array(summed[:k]).reshape(k, n_groups), np.array(summed[k:]).reshape(-1, n_groups))
    return equity, sd**2


# --------------------------------------------------------------------------- intervals


def _with_economics(rfm: pl.DataFrame) -> pl.DataFrame:
    """rfm with the ECONOMICS columns: a customer's own where rfm has them (models.clv.scoring.score's output: kept
    from cogs_rate and returns_cost_rate), else the share kept net of expected returns, and no costs."""
    if {"cogs_rate", "returns_cost_rate"} <= set(rfm.columns):
        kept = 1 - pl.col("cogs_rate") - pl.col("returns_cost_rate")
    elif "expected_return_rate" in rfm.columns:
        kept = 1 - pl.col("expected_return_rate")
    else:
        kept = pl.lit(ECONOMICS["kept"])
    return rfm.with_columns(kept.cast(pl.Float64).alias("kept"), *(
        pl.lit(value, pl.Float64).alias(name) for name, value in ECONOMICS.items() if name != "kept" and name not in rfm.columns))


def _with_customer_bounds(purchase: Fit, spend: Fit | None, rows: pl.DataFrame, settings: IntervalSettings) -> pl.DataFrame:
    """rows (keys, monetary_value and ECONOMICS) with CUSTOMER_COLUMNS by the settings' method; null without covariances
    and where the formulas cannot value the row."""
    if not available(purchase, spend):
        return rows.with_columns(pl.lit(None, pl.Float64).alias(c) for c in CUSTOMER_COLUMNS)
    bounds = (_delta_customer_bounds if settings.method == "delta" else _drawn_customer_bounds)(purchase, spend, rows, settings)
    return rows.with_columns(**{name: pl.Series(values.astype(float)).fill_nan(None) for name, values in zip(CUSTOMER_COLUMNS, bounds)})


def customer_intervals(purchase: Fit, spend: Fit | None, rfm: pl.DataFrame, settings: IntervalSettings) -> pl.DataFrame:
    """Per distinct (frequency, recency, t[, marketed_months], monetary_value, unit economics) of `rfm`:
    p_alive_low/high and clv_low/high, the `level` intervals by the settings' method (the module's docstring); join on
    the columns before them. The unit economics (ECONOMICS) are the customer's where rfm has them (_with_economics).
    Null without covariances, and where a parameter set cannot value the customer (under draws, parameters far from the
    fit, e.g. at an early refit on little data)."""
    keys = [*_keys(rfm), "monetary_value", *ECONOMICS]
    return _with_customer_bounds(purchase, spend, _with_economics(rfm).select(keys).unique().sort(keys), settings)


def with_customer_intervals(scored: pl.DataFrame, purchase: Fit, spend: Fit | None, settings: IntervalSettings) -> pl.DataFrame:
    """Scores (models.clv.scoring.score) with p_alive_low/high and clv_low/high, row by row as customer_intervals gives
    them: every parameter set values the customer with their own unit economics, exactly as the point CLV does."""
    bounds = _with_customer_bounds(purchase, spend, _with_economics(scored), settings)
    return bounds.drop(k for k in ECONOMICS if k not in scored.columns)


def group_equity_intervals(purchase: Fit, spend: Fit | None, groups: pl.DataFrame, by: list[str],
                           settings: IntervalSettings) -> pl.DataFrame:
    """Per group (the `by` columns): equity_low/high, the `level` interval of the group's summed CLV by the settings'
    method (the module's docstring). `groups` has rows (by..., frequency, recency, t[, marketed_months], kept,
    kept_spend[, cost_to_serve_per_order, marketing_cost_per_month]): the group's customers at that key, each counted
    as the share of spend it is expected to keep (models.clv.unit_economics: 1 - cogs_rate - returns_cost_rate), the
    sum of their mean repeat spend (below zero taken as zero) weighted alike, and the sums of their cost to serve per
    order and marketing cost per month (none when absent). Null without covariances, and for a group with a customer
    some parameter set cannot value."""
    return parts_equity_intervals([(purchase, spend, groups)], by, settings)


def parts_equity_intervals(parts: list[tuple[Fit, Fit | None, pl.DataFrame]], by: list[str],
                           settings: IntervalSettings) -> pl.DataFrame:
    """group_equity_intervals for groups whose customers were scored by several fits (fits by group,
    models.clv.groups): each part is (purchase fit, spend fit, its customers' rows as group_equity_intervals takes
    them). The fits are estimated on different customers, so they are independent: by the delta method a group's
    equity and variance are the sums over the parts; with draws, its equity per draw is (the part k's draws seeded
    with seed + k). A group with a customer of a part without covariances has no interval."""
    keys = pl.concat([rows.select(by) for _, _, rows in parts]).unique().sort(by)
    equity, variance = np.zeros(keys.height), np.zeros(keys.height)
    drawn = np.zeros((settings.draws, keys.height))
    for k, (purchase, spend, rows) in enumerate(parts):
        rows = rows.sort([*by, *_keys(rows)])  # a fixed order of the sums below: the same rows give the same bits
        if not rows.height:
            continue
        group = rows.join(keys.with_row_index("_group"), on=by, how="left", maintain_order="left")["_group"].to_numpy()
        if not available(purchase, spend):
            equity[np.unique(group)] = np.nan
        elif settings.method == "delta":
            value, var = _delta_group_moments(purchase, spend, rows, group, keys.height, settings)
            equity, variance = equity + value, variance + var
        else:
            drawn += _drawn_group_equity(purchase, spend, rows, group, keys.height, replace(settings, seed=settings.seed + k))
    if settings.method == "delta":
        low, high = equity - settings.z * np.sqrt(variance), equity + settings.z * np.sqrt(variance)
    else:
        drawn[:, np.isnan(equity)] = np.nan
        low, high = np.quantile(drawn, list(settings.quantiles), axis=0)
    return keys.with_columns(equity_low=pl.Series(low).fill_nan(None), equity_high=pl.Series(high).fill_nan(None))
