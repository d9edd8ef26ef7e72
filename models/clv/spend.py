"""Spend model: Gamma-Gamma on the mean repeat spend (Fader, Hardie & Lee 2005b), in lifetimes' parameterisation."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from models.clv.fits import Fit, ModelError, converged, fitter_from_params
from models.clv.rfm import compress, customers


@dataclass(frozen=True)
class _SpendData:
    """What the Gamma-Gamma likelihood reads, with what does not depend on the parameters computed once: the distinct
    frequencies (the terms of frequency alone are evaluated once per value) and log m, log x, x m per row."""

    x: np.ndarray
    values: np.ndarray
    index: np.ndarray
    log_m: np.ndarray
    log_x: np.ndarray
    xm: np.ndarray
    w: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> "_SpendData":
        values, index = np.unique(x, return_inverse=True)
        return cls(x, values.astype(float), index, np.log(m), np.log(x), x * m, w)


def _gamma_gamma_objective(log_params: np.ndarray, d: _SpendData, penalizer: float) -> tuple[float, np.ndarray]:
    """lifetimes' GammaGammaFitter._negative_log_likelihood (Fader, Hardie & Lee 2005b, eq. 1a) with its gradient."""
    p, q, v = np.exp(log_params)
    px = p * d.x
    pxv = p * d.values  # the gamma and digamma terms of frequency alone, once per distinct frequency
    log_xm_v = np.log(d.xm + v)
    ll = ((gammaln(pxv + q) - gammaln(pxv))[d.index] - gammaln(q) + q * np.log(v) + (px - 1) * d.log_m + px * d.log_x
          - (px + q) * log_xm_v)
    total = d.w.sum()
    value = -(d.w @ ll) / total + penalizer * (np.exp(log_params) ** 2).sum()
    psi = digamma(pxv + q)
    d_p = d.x * ((psi - digamma(pxv))[d.index] + d.log_m + d.log_x - log_xm_v)
    d_q = psi[d.index] - digamma(q) + np.log(v) - log_xm_v
    d_v = q / v - (px + q) / (d.xm + v)
    grad = -np.array([d.w @ d_p, d.w @ d_q, d.w @ d_v]) * np.array([p, q, v]) / total + 2 * penalizer * np.exp(log_params) ** 2
    return float(value), grad


def spend_pairs(rfm: pl.DataFrame) -> pl.DataFrame:
    """What Gamma-Gamma is fitted on: (frequency, monetary_value) of repeat customers with positive mean spend, counted (n)."""
    return compress(rfm.filter((pl.col("frequency") > 0) & (pl.col("monetary_value") > 0)), ("frequency", "monetary_value"))


def fit_spend_model(rfm: pl.DataFrame, penalizer: float = 0.0, min_repeat_customers: int = 10) -> Fit:
    """Gamma-Gamma on repeat customers with positive mean repeat spend (lifetimes requires m > 0)."""
    pairs = spend_pairs(rfm)
    n_spenders = customers(pairs)
    if n_spenders < min_repeat_customers:
        raise ModelError(
            f"cannot fit Gamma-Gamma: only {n_spenders} customers have repeat purchases with positive spend; "
            f"at least {min_repeat_customers} are needed"
        )
    f, m, n = (pairs[c].to_numpy().astype(float) for c in ("frequency", "monetary_value", "n"))
    started = time.perf_counter()
    # As lifetimes' GammaGammaFitter.fit: BFGS from log parameters 0.1, tol 1e-7; the analytic gradient
    # replaces autograd's and the Hessian for standard errors is not computed.
    with np.errstate(all="ignore"):
        data = _SpendData.of(f, m, n)
        out = minimize(_gamma_gamma_objective, x0=0.1 * np.ones(3), args=(data, penalizer), jac=True, method="BFGS", tol=1e-7)
    if not converged(out):
        return Fit("gamma_gamma", {}, float("nan"), False, n_spenders, pairs.height, time.perf_counter() - started,
                   note=f"did not converge: {out.message}")
    params = dict(zip(("p", "q", "v"), (float(v) for v in np.exp(out.x))))
    ll = -_gamma_gamma_objective(out.x, data, 0.0)[0] * n.sum()
    fit = Fit("gamma_gamma", params, ll, True, n_spenders, pairs.height, time.perf_counter() - started,
              fitter=fitter_from_params("gamma_gamma", params))
    if not fit.usable or params["q"] <= 1:
        fit.converged = False
        fit.note = "parameters not finite and positive" if not fit.usable else "q <= 1: the population mean spend is undefined"
    return fit


def expected_order_value(spend: Fit | None, frequency: np.ndarray, monetary_value: np.ndarray, fallback: float) -> np.ndarray:
    """Gamma-Gamma conditional expected spend per purchase.

    One-time buyers get the population mean. A mean repeat spend at or below zero (returns
    exceeding purchases) is taken as zero, which shrinks the estimate toward zero but keeps it
    positive. Without a usable spend model every customer gets `fallback`.
    """
    if spend is None or not spend.converged:
        return np.full(len(frequency), fallback, dtype=float)
    fitter = fitter_from_params("gamma_gamma", spend.params) if spend.fitter is None else spend.fitter
    return np.asarray(fitter.conditional_expected_average_profit(
        np.asarray(frequency, dtype=float), np.maximum(np.asarray(monetary_value, dtype=float), 0.0)
    ), dtype=float)
