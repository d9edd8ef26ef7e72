"""What every CLV model shares: the record of one fit, the model names, and lifetimes fitters from parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import lifetimes
import numpy as np
import pandas as pd

FITTERS = {
    "bgnbd": lifetimes.BetaGeoFitter,
    "paretonbd": lifetimes.ParetoNBDFitter,
    "mbgnbd": lifetimes.ModifiedBetaGeoFitter,
}
MODEL_NAMES = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "mbgnbd": "MBG/NBD", "gamma_gamma": "Gamma-Gamma",
               "zero_forecast": "zero forecast", "calibration_rate": "calibration rate"}


GRADIENT_TOLERANCE = 1e-5


def converged(out) -> bool:
    """BFGS succeeded, or stopped on "precision loss" with the gradient of the mean log-likelihood already
    below GRADIENT_TOLERANCE: at tol 1e-7 (lifetimes' setting) it can stop a hair above tol at the optimum,
    depending on the floating-point kernels of the machine."""
    return bool(out.success or (out.status == 2 and np.max(np.abs(out.jac)) < GRADIENT_TOLERANCE))


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
    # covariance of the log parameters (models.clv.intervals), in the order of params; None: not computed
    covariance: list[list[float]] | None = field(default=None, repr=False)

    @property
    def usable(self) -> bool:
        return self.converged and all(math.isfinite(v) and v > 0 for v in self.params.values())


def fitter_from_params(model: str, params: dict[str, float]):
    fitter = lifetimes.GammaGammaFitter() if model == "gamma_gamma" else FITTERS[model]()
    fitter.params_ = pd.Series(params)
    if model != "gamma_gamma":  # what lifetimes' fit() sets, and customer_lifetime_value calls
        fitter.predict = fitter.conditional_expected_number_of_purchases_up_to_time
    return fitter


def failed(model: str, exc: Exception, n_customers: int) -> Fit:
    """The registry record of a fit that could not be made: the exception says why."""
    return Fit(model, {}, float("nan"), False, n_customers, 0, 0.0, note=str(exc))
