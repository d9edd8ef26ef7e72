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
(p v + p f m) / (p f + q - 1)), and CLV is linear in the customer's unit economics (models.clv.unit_economics), which
do not depend on the parameters and are taken as known: per draw d,
  CLV = kept x discounted spend(d) - cost_to_serve_per_order x discounted purchases(d) - marketing_cost_per_month x marketed(d)
with kept = 1 - cogs_rate - returns_cost_rate (margin_rate x (1 - expected return rate) under the margin-rate fallback),
discounted spend = discounted purchases x expected order value, and marketed the discounted months the customer is
expected to be marketed (models.clv.scoring.marketing_weights), which depends on the draw and on the months their
past purchases already keep them marketed (the key's marketed_months). So a customer's CLV per draw is the same
formula as the point CLV, and a group's needs only, per key, the sums of kept, kept x mean repeat spend, cost to serve
per order and marketing cost per month over its customers.
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
from models.clv.scoring import LIFETIMES_UNITS_PER_MONTH, marketing_weights, triple_values
from models.clv.spend import _gamma_gamma_objective, spend_pairs

HESSIAN_STEP = 1e-4  # in log parameters: about the fourth root of machine epsilon, for central second differences
OFFSETS = {"gamma_gamma": {"q": 1.0}}  # parameters drawn as log(value - offset)
CHUNK = 20_000  # customer rows per quantile pass: draws x CHUNK floats at a time
DRAW_BLOCK_CELLS = 2_000_000  # draws x triples evaluated at once (BG/NBD), to bound memory
TRIPLE = ["frequency", "recency", "t"]
MARKETED = "marketed_months"
# A customer's unit economics (models.clv.unit_economics) as the draws use them, and their values without them.
ECONOMICS = {"kept": 1.0, "cost_to_serve_per_order": 0.0, "marketing_cost_per_month": 0.0}
CUSTOMER_COLUMNS = ("p_alive_low", "p_alive_high", "clv_low", "clv_high")


@dataclass(frozen=True)
class IntervalSettings:
    """How CLV is scored (as models.clv.scoring.score) and how its intervals are drawn."""

    time_unit: str
    horizon_months: int = 12
    annual_discount_rate: float = 0.10
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


def available(purchase: Fit, spend: Fit | None) -> bool:
    """Intervals need the purchase fit's covariance, and Gamma-Gamma's when it is used (the fallback mean is taken as known)."""
    return purchase.covariance is not None and (spend is None or spend.covariance is not None)


def triple_draws(purchase: Fit, spend: Fit | None, stats: pl.DataFrame, settings: IntervalSettings) -> TripleDraws:
    """Score every distinct triple of `stats` under each parameter draw (one vectorised pass per draw)."""
    keys = _keys(stats)
    triples = stats.select(keys).unique().sort(keys).with_row_index("_triple")
    f, r, t = (triples[c].to_numpy().astype(float) for c in TRIPLE)
    # marketing weights cost a predictive evaluation per month: only where some customer has a marketing cost
    marketed = MARKETED in keys and (stats.get_column("marketing_cost_per_month", default=pl.Series([0.0])) != 0).any()
    marketed_months = triples[MARKETED].to_numpy() if marketed else None
    rng = np.random.default_rng(settings.seed)
    purchases = parameter_draws(purchase, settings.draws, rng)
    spends = parameter_draws(spend, settings.draws, rng) if spend is not None else None
    shape = (settings.draws, len(f))
    p_alive, base, slope, discounted, marketed = (np.zeros(shape, dtype=np.float32) for _ in range(5))
    for d, (p_alive[d], discounted[d], marketed[d]) in enumerate(_purchase_values(purchase, purchases, f, r, t, marketed_months,
                                                                                   settings)):
        if spends is None:
            base[d], slope[d] = discounted[d] * settings.fallback_order_value, 0.0
        else:
            p, q, v = (spends[d][k] for k in ("p", "q", "v"))
            base[d], slope[d] = discounted[d] * p * v / (p * f + q - 1), discounted[d] * p * f / (p * f + q - 1)
    for values in (p_alive, base, slope, discounted, marketed):  # a draw far from the fit can break the formulas: no value rather than inf
        values[~np.isfinite(values)] = np.nan
    return TripleDraws(triples, p_alive, base, slope, discounted, marketed)


def _keys(stats: pl.DataFrame) -> list[str]:
    """What the draws score once: (frequency, recency, t), and the months already marketed where there are any."""
    return [*TRIPLE, MARKETED] if MARKETED in stats.columns else TRIPLE


def _bgnbd_values(draws: list[dict[str, float]], f: np.ndarray, r: np.ndarray, t: np.ndarray, time_unit: str,
                  horizon_months: int, annual_discount_rate: float, marketed_months: np.ndarray | None = None,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BG/NBD p_alive, discounted expected purchases (models.clv.scoring.triple_values) and, with marketed_months,
    discounted months marketed (models.clv.scoring.marketing_weights; zeros without) for many parameter draws at
    once: the formulas of models.clv.purchase.expected_purchases, lifetimes' conditional_probability_alive and
    P(no purchase in h | alive) = ((alpha + T) / (alpha + T + h))^(r + x), broadcast over draws (rows) and triples
    (columns), the hypergeometric term once per (frequency, t) pair. A test proves equality with scoring draw by draw."""
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
        p_alive = np.clip(1 / denominator, 0.0, 1.0)
        discounted, previous, marketed = 0.0, 0.0, np.zeros((len(draws), len(f)))
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
            if marketed_months is not None:
                buys = p_alive * (1 - np.exp((rr + x) * np.log((alpha + T) / (alpha + T + h))))[:, inverse]
                marketed += np.where(marketed_months < month, np.clip(buys, 0.0, 1.0), 1.0) / (1 + monthly_rate) ** month
    return p_alive, discounted[:, inverse] / denominator, marketed


def _purchase_values(purchase: Fit, draws: list[dict[str, float]], f: np.ndarray, r: np.ndarray, t: np.ndarray,
                     marketed_months: np.ndarray | None, settings: IntervalSettings,
                     ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(p_alive, discounted expected purchases, discounted months marketed) per key for each draw in turn: BG/NBD in
    blocks of draws, the other models one draw at a time through models.clv.scoring."""
    horizon = (settings.time_unit, settings.horizon_months, settings.annual_discount_rate)
    if purchase.model == "bgnbd":
        block = max(1, DRAW_BLOCK_CELLS // max(1, len(f)))
        for start in range(0, len(draws), block):
            yield from zip(*_bgnbd_values(draws[start:start + block], f, r, t, *horizon, marketed_months))
        return
    for params in draws:
        fit = Fit(purchase.model, params, float("nan"), True, 0, 0, 0.0)
        with np.errstate(all="ignore"):
            p_alive, _, discounted = triple_values(fit, f, r, t, *horizon)
            marketed = (np.zeros_like(f) if marketed_months is None
                        else marketing_weights(fit, f, r, t, marketed_months, *horizon))
        yield p_alive, discounted, marketed


def _index(draws: TripleDraws, rows: pl.DataFrame) -> np.ndarray:
    return rows.join(draws.triples, on=_keys(rows), how="left", maintain_order="left")["_triple"].to_numpy()


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


# --------------------------------------------------------------------------- intervals


def customer_intervals(purchase: Fit, spend: Fit | None, rfm: pl.DataFrame, settings: IntervalSettings) -> pl.DataFrame:
    """Per distinct (frequency, recency, t[, marketed_months], monetary_value, unit economics) of `rfm`:
    p_alive_low/high and clv_low/high, the `level` central intervals over the parameter draws; join on the columns
    before them. The unit economics (ECONOMICS) are the customer's where rfm has them (_with_economics). Null without
    covariances, and where a draw cannot value the customer (parameters far from the fit, e.g. at an early refit on
    little data)."""
    keys = [*_keys(rfm), "monetary_value", *ECONOMICS]
    rows = _with_economics(rfm).select(keys).unique().sort(keys)
    columns = CUSTOMER_COLUMNS
    if not available(purchase, spend):
        return rows.with_columns(pl.lit(None, pl.Float64).alias(c) for c in columns)
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
    return rows.with_columns(**{name: pl.Series(values.astype(float)).fill_nan(None) for name, values in
                                zip(columns, (p_alive[0], p_alive[1], clv[0], clv[1]))})


def with_customer_intervals(scored: pl.DataFrame, purchase: Fit, spend: Fit | None, settings: IntervalSettings) -> pl.DataFrame:
    """Scores (models.clv.scoring.score) with p_alive_low/high and clv_low/high: each draw values the customer with
    their own unit economics, exactly as the point CLV does."""
    bounds = customer_intervals(purchase, spend, scored, settings)
    keys = [*_keys(scored), "monetary_value", *ECONOMICS]
    return (_with_economics(scored).join(bounds, on=keys, how="left", maintain_order="left")
            .drop(k for k in ECONOMICS if k not in scored.columns))


def group_equity_intervals(purchase: Fit, spend: Fit | None, groups: pl.DataFrame, by: list[str],
                           settings: IntervalSettings) -> pl.DataFrame:
    """Per group (the `by` columns): equity_low/high, the `level` central interval over the parameter draws of the
    group's summed CLV. `groups` has rows (by..., frequency, recency, t[, marketed_months], kept, kept_spend[,
    cost_to_serve_per_order, marketing_cost_per_month]): the group's customers at that key, each counted as the share
    of spend it is expected to keep (models.clv.unit_economics: 1 - cogs_rate - returns_cost_rate), the sum of their
    mean repeat spend (below zero taken as zero) weighted alike, and the sums of their cost to serve per order and
    marketing cost per month (none when absent). Null without covariances."""
    keys = groups.select(by).unique().sort(by)
    groups = groups.sort([*by, *_keys(groups)])  # a fixed order of the sums below: the same rows give the same bits
    if not available(purchase, spend) or not groups.height:
        return keys.with_columns(equity_low=pl.lit(None, pl.Float64), equity_high=pl.lit(None, pl.Float64))
    draws = triple_draws(purchase, spend, groups, settings)
    group = groups.join(keys.with_row_index("_group"), on=by, how="left")["_group"].to_numpy()
    index = _index(draws, groups)
    # per (key, group): customers, summed spend, cost to serve and marketing; equity per draw is then matrix products
    terms = [(draws.base, "kept", 1.0), (draws.slope, "kept_spend", 1.0), (draws.discounted, "cost_to_serve_per_order", -1.0),
             (draws.marketed, "marketing_cost_per_month", -1.0)]
    equity, broken = np.zeros((len(draws.base), keys.height)), np.zeros((len(draws.base), keys.height), dtype=bool)
    for values, column, sign in terms:
        if column not in groups.columns:
            continue
        sums = np.zeros((draws.triples.height, keys.height))
        np.add.at(sums, (index, group), groups[column].to_numpy().astype(float))
        values = values.astype(float)
        equity += sign * (np.nan_to_num(values) @ sums)
        # a group with a customer some draw cannot value has no interval (nor has that customer)
        broken |= (~np.isfinite(values)).astype(float) @ (sums != 0) > 0
    equity[broken] = np.nan
    low, high = np.quantile(equity, list(settings.quantiles), axis=0)
    return keys.with_columns(equity_low=pl.Series(low).fill_nan(None), equity_high=pl.Series(high).fill_nan(None))
