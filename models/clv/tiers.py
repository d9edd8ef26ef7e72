"""Value tiers: the CLV pyramid by share of active customers."""

from __future__ import annotations

import math

import numpy as np

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
