"""The holdout predictive distribution: a distribution, its mean is lifetimes' conditional expectation, and
Pareto/NBD's probabilities are lifetimes' own."""

import numpy as np
import pytest

from models.clv import evaluation_point, expected_purchases, fit_purchase_model, fitter_from_params, predictive

HORIZON = 39.0
COUNTS = np.arange(0, 120)


@pytest.fixture(scope="module")
def histories(cdnow_summary):
    """300 distinct CDNOW histories, with the first-day-only and purchase-on-the-last-day edge cases among them."""
    rows = cdnow_summary.unique(["frequency", "recency", "t"]).sort("frequency", "recency", "t").gather_every(7).head(300)
    return tuple(rows[c].to_numpy().astype(float) for c in ("frequency", "recency", "t"))


@pytest.fixture(scope="module", params=["bgnbd", "mbgnbd", "paretonbd"])
def table(request, cdnow_summary, histories):
    fit = fit_purchase_model(request.param, cdnow_summary)
    f, r, t = histories
    return fit, np.stack([predictive.holdout_probability(fit, np.full_like(f, k), f, r, t, HORIZON) for k in COUNTS])


def test_it_is_a_distribution(table):
    _, probability = table
    assert (probability >= 0).all()
    np.testing.assert_allclose(probability.sum(axis=0), 1.0, atol=1e-9)


def test_its_mean_is_the_conditional_expected_number_of_purchases(table, histories):
    fit, probability = table
    f, r, t = histories
    (expected,) = expected_purchases(fit, [HORIZON], f, *evaluation_point(fit.model, r, t))
    np.testing.assert_allclose(COUNTS @ probability, expected, rtol=1e-9)


def test_pareto_nbd_equals_lifetimes_conditional_probability_of_n_purchases(cdnow_summary, histories):
    fit = fit_purchase_model("paretonbd", cdnow_summary)
    lifetimes_fit = fitter_from_params("paretonbd", fit.params)
    f, r, t = (v[:40] for v in histories)
    at_r, at_t = evaluation_point("paretonbd", r, t)
    for k in (0, 1, 2, 5):
        ours = predictive.holdout_probability(fit, np.full_like(f, k), f, r, t, HORIZON)
        theirs = [lifetimes_fit.conditional_probability_of_n_purchases_up_to_time(k, HORIZON, *row) for row in zip(f, at_r, at_t)]
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-14)


def test_a_point_forecast_of_zero_gives_a_purchase_probability_zero():
    assert predictive.poisson_log_probability(np.array([0, 1]), np.array([0.0, 0.0])).tolist() == [0.0, -np.inf]
    assert predictive.poisson_log_probability(np.array([2]), np.array([1.5]))[0] == pytest.approx(np.log(1.5**2 / 2 * np.exp(-1.5)))
