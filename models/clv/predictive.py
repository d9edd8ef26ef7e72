"""The predictive distribution of a customer's repeat purchases in a holdout, given their calibration history.

P(X(T, T+h) = k | x, t_x, T) = (1 - p_alive) [k = 0] + p_alive P(X = k | alive at T), where, alive at T,
the purchase rate's posterior is Gamma(r + x, alpha + T) and, for each model:

  BG/NBD, MBG/NBD  dropout probability p ~ Beta(a, b'), b' = b + x (MBG/NBD: b + x + 1, it may also
                   drop out right after the first purchase). The count is k if k purchases happen and
                   the customer drops out after the k-th, or k happen and no more: for k >= 1
                   P(X = k | alive) = E[p (1-p)^(k-1)] P(N >= k) + E[(1-p)^k] P(N = k), N ~ NBD(r + x, alpha + T, h)
                   (Fader, Hardie & Lee 2005, the process of eq. 1-5 started at T).
  Pareto/NBD       dropout rate mu ~ Gamma(s, beta + T); the count is N(min(tau, h)) for a remaining
                   lifetime tau ~ Exp(mu): P(X = k | alive) = E[e^(-mu h)] P(N_h = k) + int_0^h E[mu e^(-mu u)] P(N_u = k) du,
                   the integral by Gauss-Legendre quadrature (Fader & Hardie, note 028, eq. 16, in closed form).

Tests prove that the mean of this distribution is lifetimes' conditional expected number of purchases
and that the Pareto/NBD probabilities equal lifetimes' conditional_probability_of_n_purchases_up_to_time.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaln, gammaln

from models.clv.fits import Fit, fitter_from_params
from models.clv.purchase import evaluation_point

QUADRATURE_NODES = 64
CHUNK_ROWS = 50_000  # rows x nodes evaluated at once: bounded memory on millions of triples


def _log_nbd(k: np.ndarray, shape: np.ndarray, rate: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """log P(N = k) for purchases N in `duration` at a rate ~ Gamma(shape, rate) (a negative binomial)."""
    with np.errstate(divide="ignore"):
        return (gammaln(shape + k) - gammaln(shape) - gammaln(k + 1) + shape * np.log(rate / (rate + duration))
                + np.where(k > 0, k * np.log(duration / (rate + duration)), 0.0))


def _alive_bgnbd(purchase: Fit, k: np.ndarray, f: np.ndarray, t: np.ndarray, h: float) -> np.ndarray:
    r, alpha, a, b = (purchase.params[p] for p in ("r", "alpha", "a", "b"))
    shape, rate = r + f, alpha + t
    b_alive = b + f + (1 if purchase.model == "mbgnbd" else 0)
    if not k.any():  # no purchase: the NBD's zero term, (rate / (rate + h))^shape, as _log_nbd computes it at k = 0
        return np.exp(shape * np.log(rate / (rate + h)))
    exactly = np.exp(_log_nbd(k, shape, rate, np.full_like(t, h)))
    ks = np.maximum(k, 1)
    at_least = betainc(ks, shape, h / (rate + h))  # P(N >= k) = I_{h/(rate+h)}(k, shape)
    drop_after_kth = np.exp(betaln(a + 1, b_alive + ks - 1) - betaln(a, b_alive))
    stay = np.exp(betaln(a, b_alive + ks) - betaln(a, b_alive))
    return np.where(k == 0, exactly, drop_after_kth * at_least + stay * exactly)


def _alive_paretonbd(purchase: Fit, k: np.ndarray, f: np.ndarray, t: np.ndarray, h: float) -> np.ndarray:
    r, alpha, s, beta = (purchase.params[p] for p in ("r", "alpha", "s", "beta"))
    shape, rate, mu_rate = r + f, alpha + t, beta + t
    nodes, node_weights = np.polynomial.legendre.leggauss(QUADRATURE_NODES)
    u = (nodes + 1) * h / 2  # [-1, 1] -> [0, h]
    out = np.empty_like(t)
    for lo in range(0, len(t), CHUNK_ROWS):
        sl = slice(lo, lo + CHUNK_ROWS)
        kk, sh, ra, mr = (v[sl, None] for v in (k, shape, rate, mu_rate))
        survive = np.exp(s * np.log(mr / (mr + h)))[:, 0] * np.exp(_log_nbd(kk, sh, ra, np.full_like(ra, h)))[:, 0]
        density = s / mr * np.exp((s + 1) * np.log(mr / (mr + u)))  # E[mu e^(-mu u)]
        drop = (density * np.exp(_log_nbd(kk, sh, ra, u[None, :]))) @ node_weights * h / 2
        out[sl] = survive + drop
    return out


def holdout_probability(purchase: Fit, k: np.ndarray, f: np.ndarray, r: np.ndarray, t: np.ndarray, h: float) -> np.ndarray:
    """P(exactly k repeat purchases in the next h time units | frequency f, recency r, age t), per row."""
    (probability,) = _probabilities(purchase, k, f, r, t, [h])
    return probability


def no_purchase_probabilities(purchase: Fit, f: np.ndarray, r: np.ndarray, t: np.ndarray, horizons: list[float],
                              rows: list[np.ndarray]) -> list[np.ndarray]:
    """P(no repeat purchase in the next h time units | f, r, t) for each h of `horizons`, each for the rows its boolean
    mask in `rows` selects: holdout_probability at k = 0 on those rows, with p_alive computed once."""
    return _probabilities(purchase, np.zeros(len(f)), f, r, t, horizons, rows)


def _probabilities(purchase: Fit, k, f, r, t, horizons: list[float], rows: list[np.ndarray] | None = None) -> list[np.ndarray]:
    k, f, r, t = (np.asarray(v, dtype=float) for v in (k, f, r, t))
    at_r, at_t = evaluation_point(purchase.model, r, t)
    fitter = purchase.fitter or fitter_from_params(purchase.model, purchase.params)
    p_alive = np.clip(np.asarray(fitter.conditional_probability_alive(f, at_r, at_t), dtype=float), 0.0, 1.0)
    alive = _alive_paretonbd if purchase.model == "paretonbd" else _alive_bgnbd
    out = []
    for h, m in zip(horizons, rows or [slice(None)] * len(horizons)):
        p, kk = p_alive[m], k[m]
        out.append(np.where(kk == 0, 1 - p, 0.0) + p * alive(purchase, kk, f[m], at_t[m], h))
    return out


def poisson_log_probability(k: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """log P(X = k) for X ~ Poisson(mean); -inf where mean is 0 and k is not (a point forecast of 0)."""
    k, mean = np.asarray(k, dtype=float), np.asarray(mean, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(mean > 0, k * np.log(np.where(mean > 0, mean, 1.0)) - mean - gammaln(k + 1),
                        np.where(k == 0, 0.0, -np.inf))
