"""Purchase models: BG/NBD, Pareto/NBD and MBG/NBD, fitted and evaluated through lifetimes' parameterisation.

Fits run on the unique (frequency, recency, t) triples with their customer counts as lifetimes
`weights`: the same likelihood as a fit on every customer row, at a cost that grows with distinct
triples. BG/NBD has a vectorised likelihood with its analytic gradient (tests prove equality with lifetimes).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
from lifetimes.utils import ConvergenceError
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

from models.clv.fits import FITTERS, MODEL_NAMES, Fit, ModelError, converged, fitter_from_params
from models.clv.rfm import compress, customers

# lifetimes starts Pareto/NBD's Nelder-Mead from random parameters, so two fits of the same data
# differ in the 4th digit; a fixed start and a tighter tolerance make the fit reproducible.
FIT_OPTIONS = {"paretonbd": {"initial_params": np.ones(4), "tol": 1e-8, "maxiter": 20_000}}


def log_likelihood(model: str, params: dict[str, float], triples: pl.DataFrame) -> float:
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


@dataclass(frozen=True)
class _BGData:
    """What the BG/NBD likelihood reads, prepared once per fit: the codes of frequency, recency and age, the weights,
    the weight of each distinct frequency (a term of frequency alone enters the sums as value x summed weight), and per
    row what does not depend on the parameters: the frequency, and b's offset x - 1 (0 for a customer without a repeat
    purchase, whose second term is zero)."""

    x: _Codes
    tx: _Codes
    T: _Codes
    w: np.ndarray
    wx: np.ndarray
    x_row: np.ndarray
    offset_row: np.ndarray

    @classmethod
    def of(cls, x: _Codes, tx: _Codes, T: _Codes, w: np.ndarray) -> "_BGData":
        w = np.asarray(w, dtype=float)
        x_row = x.values[x.index]
        return cls(x, tx, T, w, np.bincount(x.index, weights=w, minlength=len(x.values)), x_row,
                   np.where(x_row > 0, x_row - 1, 0.0))


# Rows per block of the BG/NBD likelihood's row sums: blocks run on threads (NumPy lets go of the GIL) and are added in
# their fixed order, so a fit gives the same estimates on any number of cores.
_BLOCK_ROWS = 1 << 17


@functools.cache
def _threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="bgnbd")


def _row_sums(r: float, b: float, log_ab: np.ndarray, per_value: tuple[np.ndarray, ...], d: _BGData, lo: int,
              hi: int) -> np.ndarray:
    """Rows lo..hi's weighted sums of log(exp(A3) + exp(A4)) and of the row parts of the gradient in r, alpha and b,
    and their weight of the A4 share (the gradient in a)."""
    log_tv, inv_tv, log_txv, inv_txv = per_value
    t_i, tx_i = d.T.index[lo:hi], d.tx.index[lo:hi]
    log_t, inv_t, log_tx, inv_tx = log_tv[t_i], inv_tv[t_i], log_txv[tx_i], inv_txv[tx_i]
    rx = r + d.x_row[lo:hi]
    a3 = -rx * log_t
    a4 = log_ab[d.x.index[lo:hi]] - rx * log_tx
    top = np.maximum(a3, a4)
    e3, e4 = np.exp(a3 - top), np.exp(a4 - top)
    total_e = e3 + e4
    w3, w4 = e3 / total_e, e4 / total_e
    w = d.w[lo:hi]
    return np.array([w @ (np.log(total_e) + top), w @ (w3 * log_t + w4 * log_tx), w @ (rx * (w3 * inv_t + w4 * inv_tx)),
                     w @ w4, w @ (w4 / (b + d.offset_row[lo:hi]))])


def _bgnbd_objective(log_params: np.ndarray, d: _BGData, penalizer: float) -> tuple[float, np.ndarray]:
    """lifetimes' BetaGeoFitter._negative_log_likelihood (mean over customers, in log parameters), with its gradient.

    The same expression as lifetimes, in NumPy, with the analytic gradient in place of autograd's:
    LL = A1 + A2 + log(exp(A3) + [x > 0] exp(A4)) (Fader, Hardie & Lee 2005, eq. 6). Each term is a
    function of one of frequency, recency or age, so it is evaluated once per distinct value; A4 is minus infinity
    where x = 0, so that its exponential is the indicator's zero.
    """
    r, alpha, a, b = np.exp(log_params)
    xv = d.x.values
    repeat_v = xv > 0
    xs = np.where(repeat_v, xv, 1)
    # terms of frequency alone
    a12 = gammaln(r + xv) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + xv) - gammaln(b) - gammaln(a + b + xv)
    log_ab = np.where(repeat_v, np.log(a) - np.log(b + xs - 1), -np.inf)
    d_r_x = digamma(r + xv) - digamma(r) + np.log(alpha)
    d_a_x = digamma(a + b) - digamma(a + b + xv)
    d_b_x = digamma(a + b) + digamma(b + xv) - digamma(b) - digamma(a + b + xv)
    # terms of age and of recency alone, per value; the row sums block by block (_row_sums)
    per_value = (np.log(alpha + d.T.values), 1 / (alpha + d.T.values), np.log(alpha + d.tx.values), 1 / (alpha + d.tx.values))
    blocks = [(lo, min(lo + _BLOCK_ROWS, len(d.w))) for lo in range(0, len(d.w), _BLOCK_ROWS)]
    sums = list(_threads().map(lambda block: _row_sums(r, b, log_ab, per_value, d, *block), blocks))
    ll_rows, d_r_rows, d_alpha_rows, w4_rows, d_b_rows = np.sum(sums, axis=0)
    total = d.w.sum()
    value = -(d.wx @ a12 + ll_rows) / total + penalizer * (np.exp(log_params) ** 2).sum()
    grad = np.array([
        d.wx @ d_r_x - d_r_rows,
        total * r / alpha - d_alpha_rows,
        d.wx @ d_a_x + w4_rows / a,
        d.wx @ d_b_x - d_b_rows,
    ])
    grad = -grad * np.array([r, alpha, a, b]) / total + 2 * penalizer * np.exp(log_params) ** 2
    return float(value), grad


def _fit_bgnbd(triples: pl.DataFrame, penalizer: float) -> dict[str, float]:
    """BG/NBD as lifetimes' BetaGeoFitter.fit does it (time scaled to max age 1, BFGS from log params 0.1,
    tol 1e-7), with a vectorised likelihood and analytic gradient, and without the Hessian lifetimes
    computes for standard errors: same estimates, several times faster on a million triples."""
    x, tx, T, w = (triples[c].to_numpy() for c in ("frequency", "recency", "t", "n"))
    scale = 1.0 / T.max()
    codes = (_Codes.of(x), _Codes.of(tx * scale), _Codes.of(T * scale))
    out = minimize(_bgnbd_objective, x0=0.1 * np.ones(4), args=(_BGData.of(*codes, w), penalizer),
                   jac=True, method="BFGS", tol=1e-7)
    if not converged(out):
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
            fitter = fitter_from_params(model, params)  # lifetimes' own functions score it
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
    fit.log_likelihood = log_likelihood(model, params, triples)
    return fit


def evaluation_point(model: str, recency: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        fitter = purchase.fitter or fitter_from_params(purchase.model, purchase.params)
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
