"""Customer lifetime value through `lifetimes`: fits on compressed RFM statistics, scoring, CLV and tiers.

Definitions (as in lifetimes and the BG/NBD paper, at day level):
  frequency  number of days with a purchase after the first purchase day (repeat purchase days)
  recency    time from the first to the last purchase day
  t          time from the first purchase day to the as-of date (the customer's age; lifetimes' T)
  monetary   mean value of the repeat purchase days (the first day excluded); 0 when frequency is 0
Times are in the configured unit as fractions of days (weeks = days / 7, months = days / 30.4375).

Purchase models (BG/NBD, Pareto/NBD, MBG/NBD) are fitted on the unique (frequency, recency, t)
triples with their customer counts as lifetimes `weights`: the same likelihood as a fit on
every customer row, at a cost that grows with distinct triples.

Every function that takes RFM statistics accepts one row per customer or already compressed
rows with a customer count `n` (what shards hand over): the results are the same.
"""

from __future__ import annotations

import contextlib
import io
import math
import time
from dataclasses import dataclass, field

import lifetimes
import numpy as np
import pandas as pd
import polars as pl
from lifetimes.utils import ConvergenceError
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

from models import synthetic

FITTERS = {
    "bgnbd": lifetimes.BetaGeoFitter,
    "paretonbd": lifetimes.ParetoNBDFitter,
    "mbgnbd": lifetimes.ModifiedBetaGeoFitter,
}
MODEL_NAMES = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "mbgnbd": "MBG/NBD", "gamma_gamma": "Gamma-Gamma"}
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}
# lifetimes' customer_lifetime_value steps one month at a time: 30 days, 4.345 weeks or 1 month.
LIFETIMES_UNITS_PER_MONTH = {"days": 30.0, "weeks": 4.345, "months": 1.0}
# lifetimes starts Pareto/NBD's Nelder-Mead from random parameters, so two fits of the same data
# differ in the 4th digit; a fixed start and a tighter tolerance make the fit reproducible.
FIT_OPTIONS = {"paretonbd": {"initial_params": np.ones(4), "tol": 1e-8, "maxiter": 20_000}}
HISTOGRAM_MAX = 7  # repeat-purchase counts compared in the calibration histogram: 0..6 and 7+


class ModelError(ValueError):
    """The data cannot support the model: the message says why and what would."""


@dataclass
class Fit:
    """One model fit, as recorded in clv.model_runs."""

    model: str
    params: dict[str, float]
    log_likelihood: float
    converged: bool
    n_customers: int
    n_triples: int
    seconds: float
    note: str = ""
    fitter: object = field(default=None, repr=False)

    @property
    def usable(self) -> bool:
        return self.converged and all(math.isfinite(v) and v > 0 for v in self.params.values())


def weights(stats: pl.DataFrame) -> np.ndarray:
    """Customers per row: the column `n` of compressed statistics, 1 for one row per customer."""
    return stats["n"].to_numpy().astype(float) if "n" in stats.columns else np.ones(stats.height)


def customers(stats: pl.DataFrame) -> int:
    return int(stats["n"].sum()) if "n" in stats.columns else stats.height


def compress(stats: pl.DataFrame, keys: tuple[str, ...] = ("frequency", "recency", "t")) -> pl.DataFrame:
    """Unique `keys` rows with the number of customers sharing each (`n`), in a fixed order."""
    count = pl.col("n").sum() if "n" in stats.columns else pl.len()
    return stats.group_by(*keys).agg(n=count.cast(pl.Int64)).sort(*keys)


def _fitter_from_params(model: str, params: dict[str, float]):
    fitter = lifetimes.GammaGammaFitter() if model == "gamma_gamma" else FITTERS[model]()
    fitter.params_ = pd.Series(params)
    if model != "gamma_gamma":  # what lifetimes' fit() sets, and customer_lifetime_value calls
        fitter.predict = fitter.conditional_expected_number_of_purchases_up_to_time
    return fitter


def _log_likelihood(model: str, params: dict[str, float], triples: pl.DataFrame) -> float:
    """Total log-likelihood over all customers, on the original time scale."""
    f, r, t, n = (triples[c].to_numpy().astype(float) for c in ("frequency", "recency", "t", "n"))
    values = np.array(list(params.values()))
    cls = FITTERS[model]
    if model != "paretonbd":  # BG/NBD and MBG/NBD normalise by the total weight
        return float(-cls._negative_log_likelihood(np.log(values), f, r, t, n, 0.0) * n.sum())
    ll = cls._conditional_log_likelihood(values, f, r, t)
    # lifetimes' log A_0 is log(0) - NaN - when recency equals t (a purchase on the as-of day);
    # there A_0 is exactly 0 and the likelihood is its first term alone.
    rr, alpha, ss, beta = values
    limit = (gammaln(rr + f) - gammaln(rr) + rr * np.log(alpha) + ss * np.log(beta)
             - (rr + f) * np.log(alpha + t) - ss * np.log(beta + t))
    ll = np.where(~np.isfinite(ll) & np.isclose(r, t), limit, ll)
    return float((ll * n).sum())


@dataclass(frozen=True)
class _Codes:
    """Distinct values and, per row, the index of its value: functions of one variable are evaluated per value."""

    values: np.ndarray
    index: np.ndarray

    @classmethod
    def of(cls, column: np.ndarray) -> "_Codes":
        values, index = np.unique(column, return_inverse=True)
        return cls(values.astype(float), index)


def _bgnbd_objective(log_params: np.ndarray, x: _Codes, tx: _Codes, T: _Codes, w: np.ndarray,
                     penalizer: float) -> tuple[float, np.ndarray]:
    """lifetimes' BetaGeoFitter._negative_log_likelihood (mean over customers, in log parameters), with its gradient.

    The same expression as lifetimes, in NumPy, with the analytic gradient in place of autograd's:
    LL = A1 + A2 + log(exp(A3) + [x > 0] exp(A4)) (Fader, Hardie & Lee 2005, eq. 6). Each term is a
    function of one of frequency, recency or age, so it is evaluated once per distinct value.
    """
    r, alpha, a, b = np.exp(log_params)
    xv = x.values
    repeat_v = xv > 0
    xs = np.where(repeat_v, xv, 1)
    # terms of frequency alone
    a12 = gammaln(r + xv) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + xv) - gammaln(b) - gammaln(a + b + xv)
    log_ab = np.log(a) - np.log(b + xs - 1)
    d_r_x = digamma(r + xv) - digamma(r) + np.log(alpha)
    d_a_x = digamma(a + b) - digamma(a + b + xv)
    d_b_x = digamma(a + b) + digamma(b + xv) - digamma(b) - digamma(a + b + xv)
    # terms of age and of recency alone
    log_t, inv_t = np.log(alpha + T.values)[T.index], (1 / (alpha + T.values))[T.index]
    log_tx, inv_tx = np.log(alpha + tx.values)[tx.index], (1 / (alpha + tx.values))[tx.index]
    i = x.index
    rx = r + xv[i]
    repeat = repeat_v[i]
    a3 = -rx * log_t
    a4 = log_ab[i] - rx * log_tx
    top = np.where(repeat, np.maximum(a3, a4), a3)
    e3, e4 = np.exp(a3 - top), np.where(repeat, np.exp(a4 - top), 0.0)
    total_e = e3 + e4
    ll = a12[i] + np.log(total_e) + top
    w3, w4 = e3 / total_e, e4 / total_e
    total = w.sum()
    value = -(w * ll).sum() / total + penalizer * (np.exp(log_params) ** 2).sum()
    d_r = d_r_x[i] - w3 * log_t - w4 * log_tx
    d_alpha = r / alpha - rx * (w3 * inv_t + w4 * inv_tx)
    d_a = d_a_x[i] + w4 / a
    d_b = d_b_x[i] - w4 / (b + xs[i] - 1)
    grad = np.array([w @ d for d in (d_r, d_alpha, d_a, d_b)])
    grad = -grad * np.array([r, alpha, a, b]) / total + 2 * penalizer * np.exp(log_params) ** 2
    return float(value), grad


GRADIENT_TOLERANCE = 1e-5


def _converged(out) -> bool:
    """BFGS succeeded, or stopped on "precision loss" with the gradient of the mean log-likelihood already
    below GRADIENT_TOLERANCE: at tol 1e-7 (lifetimes' setting) it can stop a hair above tol at the optimum,
    depending on the floating-point kernels of the machine."""
    return bool(out.success or (out.status == 2 and np.max(np.abs(out.jac)) < GRADIENT_TOLERANCE))


def _fit_bgnbd(triples: pl.DataFrame, penalizer: float) -> dict[str, float]:
    """BG/NBD as lifetimes' BetaGeoFitter.fit does it (time scaled to max age 1, BFGS from log params 0.1,
    tol 1e-7), with a vectorised likelihood and analytic gradient, and without the Hessian lifetimes
    computes for standard errors: same estimates, several times faster on a million triples."""
    x, tx, T, w = (triples[c].to_numpy() for c in ("frequency", "recency", "t", "n"))
    scale = 1.0 / T.max()
    codes = (_Codes.of(x), _Codes.of(tx * scale), _Codes.of(T * scale))
    out = minimize(_bgnbd_objective, x0=0.1 * np.ones(4), args=(*codes, w.astype(float), penalizer),
                   jac=True, method="BFGS", tol=1e-7)
    if not _converged(out):
        raise ConvergenceError(f"BG/NBD: {out.message}")
    r, alpha, a, b = np.exp(out.x)
    return {"r": float(r), "alpha": float(alpha / scale), "a": float(a), "b": float(b)}


def fit_purchase_model(model: str, rfm: pl.DataFrame, penalizer: float = 0.0, min_repeat_customers: int = 10) -> Fit:
    """Fit BG/NBD, Pareto/NBD or MBG/NBD on the compressed statistics of `rfm` (frequency, recency, t)."""
    if model not in FITTERS:
        raise ModelError(f"unknown purchase model {model!r}; choose one of {sorted(FITTERS)}")
    n_customers = customers(rfm)
    repeaters = customers(rfm.filter(pl.col("frequency") > 0))
    if repeaters < min_repeat_customers:
        what = "no customer has" if repeaters == 0 else f"only {repeaters} of {n_customers:,} customers have"
        raise ModelError(
            f"cannot fit {MODEL_NAMES[model]}: {what} a repeat purchase; at least {min_repeat_customers} are needed "
            "(a longer history or an earlier calibration end gives more)"
        )
    triples = compress(rfm)
    fitter = None
    started = time.perf_counter()
    try:
        if model == "bgnbd":
            with np.errstate(all="ignore"):
                params = _fit_bgnbd(triples, penalizer)
            fitter = _fitter_from_params(model, params)  # lifetimes' own functions score it
        else:
            fitter = FITTERS[model](penalizer_coef=penalizer)
            with contextlib.redirect_stdout(io.StringIO()):  # lifetimes prints the optimiser state on failure
                fitter.fit(triples["frequency"].to_numpy(), triples["recency"].to_numpy(), triples["t"].to_numpy(),
                           weights=triples["n"].to_numpy(), **FIT_OPTIONS.get(model, {}))
            params = {k: float(v) for k, v in fitter.params_.items()}
    except (ConvergenceError, ValueError, FloatingPointError) as exc:
        return Fit(model, {}, float("nan"), False, n_customers, triples.height, time.perf_counter() - started,
                   note=f"did not converge: {str(exc).strip()}")
    fit = Fit(model, params, float("nan"), True, n_customers, triples.height, time.perf_counter() - started, fitter=fitter)
    if not fit.usable:
        fit.converged, fit.note = False, "parameters not finite and positive"
        return fit
    fit.log_likelihood = _log_likelihood(model, params, triples)
    return fit


def _gamma_gamma_objective(log_params: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray,
                           penalizer: float) -> tuple[float, np.ndarray]:
    """lifetimes' GammaGammaFitter._negative_log_likelihood (Fader, Hardie & Lee 2005b, eq. 1a) with its gradient."""
    p, q, v = np.exp(log_params)
    px = p * x
    log_xm_v = np.log(x * m + v)
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m) + px * np.log(x)
          - (px + q) * log_xm_v)
    total = w.sum()
    value = -(w @ ll) / total + penalizer * (np.exp(log_params) ** 2).sum()
    psi = digamma(px + q)
    d_p = x * (psi - digamma(px) + np.log(m) + np.log(x) - log_xm_v)
    d_q = psi - digamma(q) + np.log(v) - log_xm_v
    d_v = q / v - (px + q) / (x * m + v)
    grad = -np.array([w @ d_p, w @ d_q, w @ d_v]) * np.array([p, q, v]) / total + 2 * penalizer * np.exp(log_params) ** 2
    return float(value), grad


def fit_spend_model(rfm: pl.DataFrame, penalizer: float = 0.0, min_repeat_customers: int = 10) -> Fit:
    """Gamma-Gamma on repeat customers with positive mean repeat spend (lifetimes requires m > 0)."""
    spenders = rfm.filter((pl.col("frequency") > 0) & (pl.col("monetary_value") > 0))
    n_spenders = customers(spenders)
    if n_spenders < min_repeat_customers:
        raise ModelError(
            f"cannot fit Gamma-Gamma: only {n_spenders} customers have repeat purchases with positive spend; "
            f"at least {min_repeat_customers} are needed"
        )
    pairs = compress(spenders, ("frequency", "monetary_value"))
    f, m, n = (pairs[c].to_numpy().astype(float) for c in ("frequency", "monetary_value", "n"))
    started = time.perf_counter()
    # As lifetimes' GammaGammaFitter.fit: BFGS from log parameters 0.1, tol 1e-7; the analytic gradient
    # replaces autograd's and the Hessian for standard errors is not computed.
    with np.errstate(all="ignore"):
        out = minimize(_gamma_gamma_objective, x0=0.1 * np.ones(3), args=(f, m, n, penalizer), jac=True, method="BFGS", tol=1e-7)
    if not _converged(out):
        return Fit("gamma_gamma", {}, float("nan"), False, n_spenders, pairs.height, time.perf_counter() - started,
                   note=f"did not converge: {out.message}")
    params = dict(zip(("p", "q", "v"), (float(v) for v in np.exp(out.x))))
    ll = -_gamma_gamma_objective(out.x, f, m, n, 0.0)[0] * n.sum()
    fit = Fit("gamma_gamma", params, ll, True, n_spenders, pairs.height, time.perf_counter() - started,
              fitter=_fitter_from_params("gamma_gamma", params))
    if not fit.usable or params["q"] <= 1:
        fit.converged = False
        fit.note = "parameters not finite and positive" if not fit.usable else "q <= 1: the population mean spend is undefined"
    return fit


def frequency_monetary_correlation(rfm: pl.DataFrame) -> float:
    """Pearson correlation of frequency and monetary value among repeat customers (Gamma-Gamma assumes ~0)."""
    repeat = rfm.filter(pl.col("frequency") > 0)
    if customers(repeat) < 3:
        return float("nan")
    n = weights(repeat)
    return weighted_correlation(repeat["frequency"].to_numpy().astype(float), repeat["monetary_value"].to_numpy().astype(float), n)


def weighted_correlation(x: np.ndarray, y: np.ndarray, n: np.ndarray) -> float:
    """Pearson correlation of x and y over customers, each row counted n times."""
    total = n.sum()
    dx, dy = x - (n * x).sum() / total, y - (n * y).sum() / total
    sxx, syy = (n * dx * dx).sum(), (n * dy * dy).sum()
    if sxx <= 0 or syy <= 0:
        return float("nan")
    return float((n * dx * dy).sum() / math.sqrt(sxx * syy))


def expected_order_value(spend: Fit | None, frequency: np.ndarray, monetary_value: np.ndarray, fallback: float) -> np.ndarray:
    """Gamma-Gamma conditional expected spend per purchase.

    One-time buyers get the population mean. A mean repeat spend at or below zero (returns
    exceeding purchases) is taken as zero, which shrinks the estimate toward zero but keeps it
    positive. Without a usable spend model every customer gets `fallback`.
    """
    if spend is None or not spend.converged:
        return np.full(len(frequency), fallback, dtype=float)
    fitter = _fitter_from_params("gamma_gamma", spend.params) if spend.fitter is None else spend.fitter
    return np.asarray(fitter.conditional_expected_average_profit(
        np.asarray(frequency, dtype=float), np.maximum(np.asarray(monetary_value, dtype=float), 0.0)
    ), dtype=float)


def _evaluation_point(model: str, recency: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Recency and age at which to evaluate a model's closed forms.

    lifetimes' Pareto/NBD takes log(0) when recency equals t (a purchase on the as-of day) and
    returns NaN, also for a customer whose first purchase is on the as-of day (t = 0); its functions
    are continuous there, so they are evaluated a millionth of t earlier, and at an age of 1e-6.
    """
    if model != "paretonbd":
        return recency, t
    t = np.maximum(t, 1e-6)
    return np.where(recency >= t, t * (1 - 1e-6), recency), t


def expected_purchases(purchase: Fit, horizons: list[float], f: np.ndarray, r: np.ndarray, t: np.ndarray) -> list[np.ndarray]:
    """Conditional expected purchases in (0, h] for each horizon h, per (frequency, recency, t).

    BG/NBD uses lifetimes' formula (Fader, Hardie & Lee 2005, eq. 10) with its Gauss hypergeometric
    term evaluated once per distinct (frequency, t) pair instead of per triple: the term does not
    depend on recency, and with day-level ages pairs are far fewer than triples. Other models call
    lifetimes directly.
    """
    if purchase.model != "bgnbd":
        fitter = purchase.fitter or _fitter_from_params(purchase.model, purchase.params)
        return [np.asarray(fitter.conditional_expected_number_of_purchases_up_to_time(h, f, r, t), dtype=float)
                for h in horizons]
    rr, alpha, a, b = (purchase.params[k] for k in ("r", "alpha", "a", "b"))
    pairs = pl.DataFrame({"x": f, "T": t}).with_row_index("row")
    unique = pairs.select("x", "T").unique(maintain_order=True)
    inverse = pairs.join(unique.with_row_index("pair"), on=["x", "T"], how="left").sort("row")["pair"].to_numpy()
    x, T = unique["x"].to_numpy().astype(float), unique["T"].to_numpy().astype(float)
    repeat = f > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = 1 + np.where(repeat, (a / (b + np.where(repeat, f, 1) - 1)) * ((alpha + t) / (alpha + r)) ** (rr + f), 0.0)
        results = []
        for h in horizons:
            ca, cb, cc, z = rr + x, b + x, a + b + x - 1, h / (alpha + T + h)
            ln_hyp = np.log(hyp2f1(ca, cb, cc, z))
            bad = np.isinf(ln_hyp)
            if bad.any():  # lifetimes' equivalent form where the first overflows
                ln_hyp[bad] = np.log(hyp2f1(cc[bad] - ca[bad], cc[bad] - cb[bad], cc[bad], z[bad])) + (cc[bad] - ca[bad] - cb[bad]) * np.log(1 - z[bad])
            numerator = (a + b + x - 1) / (a - 1) * (1 - np.exp(ln_hyp + (rr + x) * np.log((alpha + T) / (alpha + h + T))))
            results.append(numerator[inverse] / denominator)
    return results


def _per_triple(rfm: pl.DataFrame, columns: dict[str, np.ndarray], triples: pl.DataFrame) -> pl.DataFrame:
    return rfm.join(triples.select("frequency", "recency", "t").with_columns(**{k: pl.Series(v) for k, v in columns.items()}),
                    on=["frequency", "recency", "t"], how="left")


def score(purchase: Fit, spend: Fit | None, rfm: pl.DataFrame, time_unit: str, horizon_months: int = 12,
          annual_discount_rate: float = 0.10, margin_rate: float = 1.0, fallback_order_value: float = 0.0) -> pl.DataFrame:
    """p_alive, expected purchases over the horizon, expected order value and CLV for every customer.

    Model functions are evaluated once per unique (frequency, recency, t) triple. CLV follows
    lifetimes' customer_lifetime_value: monthly steps, monthly discount rate
    (1 + annual)^(1/12) - 1, times the margin rate.
    """
    fitter = purchase.fitter or _fitter_from_params(purchase.model, purchase.params)
    triples = compress(rfm)
    f, r, t = (triples[c].to_numpy().astype(float) for c in ("frequency", "recency", "t"))
    r, t = _evaluation_point(purchase.model, r, t)
    step = LIFETIMES_UNITS_PER_MONTH[time_unit]
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    cumulative = [np.zeros_like(f), *expected_purchases(purchase, [month * step for month in range(1, horizon_months + 1)], f, r, t)]
    discounted = sum((cumulative[i] - cumulative[i - 1]) / (1 + monthly_rate) ** i for i in range(1, horizon_months + 1))
    p_alive = np.clip(np.asarray(fitter.conditional_probability_alive(f, r, t), dtype=float), 0.0, 1.0)
    scored = _per_triple(rfm, {"p_alive": p_alive, "expected_purchases": cumulative[-1], "_discounted": discounted}, triples)
    aov = expected_order_value(spend, scored["frequency"].to_numpy(), scored["monetary_value"].to_numpy(), fallback_order_value)
    scored = scored.with_columns(expected_order_value=pl.Series(aov)).with_columns(
        clv=margin_rate * pl.col("expected_order_value") * pl.col("_discounted")
    ).drop("_discounted")
    bad = scored.filter(~pl.all_horizontal(pl.col("p_alive", "expected_purchases", "expected_order_value", "clv").is_finite()))
    if bad.height:
        raise ModelError(f"{MODEL_NAMES[purchase.model]} gave non-finite scores for {bad.height:,} customers "
                         f"(e.g. frequency={bad['frequency'][0]}, recency={bad['recency'][0]}, t={bad['t'][0]})")
    return scored


def value_tiers(clv: np.ndarray, p_alive: np.ndarray, tiers: list[tuple[str, float]], rest: str,
                inactive_below: float) -> np.ndarray:
    """The CLV pyramid: `inactive` below the p_alive threshold, then tiers by share of the active customers from the top."""
    clv = np.asarray(clv, dtype=float)
    result = np.full(len(clv), rest, dtype=object)
    active = np.flatnonzero(np.asarray(p_alive) >= inactive_below)
    result[np.asarray(p_alive) < inactive_below] = "inactive"
    ranked = active[np.argsort(-clv[active], kind="stable")]
    start, cumulative = 0, 0.0
    for name, share in tiers:
        cumulative += share
        end = min(len(ranked), math.ceil(round(cumulative * len(ranked), 9)))
        result[ranked[start:end]] = name
        start = end
    return result


def holdout_metrics(purchase: Fit, calibration: pl.DataFrame, holdout_duration: float) -> dict:
    """Predicted vs actual repeat purchases in the holdout period, in total and per customer.

    `calibration` has frequency, recency, t at the calibration end and `frequency_holdout`,
    the actual repeat purchase days in the holdout.
    """
    triples = compress(calibration)
    f, r, t = (triples[c].to_numpy().astype(float) for c in ("frequency", "recency", "t"))
    (predicted,) = expected_purchases(purchase, [holdout_duration], f, *_evaluation_point(purchase.model, r, t))
    joined = _per_triple(calibration, {"predicted": np.asarray(predicted, dtype=float)}, triples)
    actual = joined["frequency_holdout"].to_numpy().astype(float)
    pred = joined["predicted"].to_numpy()
    n = weights(joined)
    error = pred - actual
    total = n.sum()
    return {
        "holdout_customers": int(total),
        "holdout_actual": float((n * actual).sum()),
        "holdout_predicted": float((n * pred).sum()),
        "holdout_mae": float((n * np.abs(error)).sum() / total),
        "holdout_rmse": float(np.sqrt((n * error**2).sum() / total)),
        "holdout_correlation": weighted_correlation(pred, actual, n),
    }


def repeat_purchase_histogram(purchase: Fit, calibration: pl.DataFrame, seed: int = 0, simulated_customers: int = 500_000) -> pl.DataFrame:
    """Customers by number of repeat purchases in calibration (0..6, 7+): actual, and expected under the fit.

    Expected counts are simulated from the fitted model at each customer's own age t (the same
    approach as lifetimes' plot_period_transactions, vectorised), scaled to the customer count.
    """
    n = weights(calibration)
    ages = np.repeat(calibration["t"].to_numpy().astype(float), n.astype(np.int64))
    replicas = max(1, min(50, simulated_customers // max(1, len(ages))))
    rng = np.random.default_rng(seed)
    _, owner = synthetic.repeat_purchases(rng, purchase.model, purchase.params, np.tile(ages, replicas))
    simulated = np.minimum(np.bincount(owner, minlength=len(ages) * replicas), HISTOGRAM_MAX)
    actual = np.minimum(calibration["frequency"].to_numpy().astype(int), HISTOGRAM_MAX)
    buckets = np.arange(HISTOGRAM_MAX + 1)
    return pl.DataFrame({
        "repeat_purchases": [str(b) if b < HISTOGRAM_MAX else f"{HISTOGRAM_MAX}+" for b in buckets],
        "actual": np.bincount(actual, weights=n, minlength=HISTOGRAM_MAX + 1).astype(np.int64),
        "expected": np.bincount(simulated, minlength=HISTOGRAM_MAX + 1) / replicas,
    })
