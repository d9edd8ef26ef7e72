"""Every model that can be chosen equals lifetimes on CDNOW: parameters, p_alive, expected purchases, order value and CLV.

Tolerances are docs/clv.md's: parameters 1e-6 relative to a plain lifetimes fit (one row per customer,
no compression); scores 1e-12 relative to lifetimes' own functions at the same parameters (CLV 1e-10:
it sums twelve discounted differences). The CDNOW sample is the BG/NBD paper's 2,357 customers; the
full CDNOW log is compared in tests/pipelines/test_cdnow.py through the demo's warehouse.
"""

import lifetimes
import numpy as np
import pandas as pd
import polars as pl
import pytest

from models import clv

HORIZON, RATE, MARGIN = 12, 0.10, 0.3
MONTHLY = (1 + RATE) ** (1 / 12) - 1


def _lifetimes_fitter(model: str, params: dict):
    """A lifetimes fitter holding the given parameters, as if it had fitted them."""
    fitter = lifetimes.GammaGammaFitter() if model == "gamma_gamma" else clv.FITTERS[model]()
    fitter.params_ = pd.Series(params)
    if model != "gamma_gamma":
        fitter.predict = fitter.conditional_expected_number_of_purchases_up_to_time
    return fitter


@pytest.fixture(scope="module")
def spend(cdnow_summary):
    return clv.fit_spend_model(cdnow_summary)


def test_gamma_gamma_equals_a_plain_lifetimes_fit(cdnow_summary, spend):
    repeat = cdnow_summary.filter(pl.col("frequency") > 0)
    plain = lifetimes.GammaGammaFitter().fit(repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy())
    np.testing.assert_allclose(list(spend.params.values()), plain.params_.to_numpy(), rtol=1e-6)
    f, m = cdnow_summary["frequency"].to_numpy().astype(float), cdnow_summary["monetary_value"].to_numpy()
    np.testing.assert_allclose(clv.expected_order_value(spend, f, m, fallback=0.0),
                               plain.conditional_expected_average_profit(f, m), rtol=1e-6)


@pytest.mark.parametrize("model", ["bgnbd", "paretonbd", "mbgnbd"])
def test_purchase_model_equals_lifetimes(cdnow_summary, spend, model):
    f, r, t, m = (cdnow_summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "t", "monetary_value"))
    fit = clv.fit_purchase_model(model, cdnow_summary)
    plain = clv.FITTERS[model]().fit(f, r, t, **clv.FIT_OPTIONS.get(model, {}))
    np.testing.assert_allclose(list(fit.params.values()), plain.params_.to_numpy(), rtol=1e-6)

    scored = clv.score(fit, spend, cdnow_summary, "weeks", HORIZON, RATE, MARGIN)
    ours = {c: scored[c].to_numpy() for c in ("p_alive", "expected_purchases", "expected_order_value", "clv")}
    # lifetimes' functions at segprof's parameters (Pareto/NBD at recency just below t where they are equal: see score)
    theirs_model, theirs_spend = _lifetimes_fitter(model, fit.params), _lifetimes_fitter("gamma_gamma", spend.params)
    at, t = clv.evaluation_point(model, r, t)
    theirs = {
        "p_alive": theirs_model.conditional_probability_alive(f, at, t),
        "expected_purchases": theirs_model.conditional_expected_number_of_purchases_up_to_time(HORIZON * 4.345, f, at, t),
        "expected_order_value": theirs_spend.conditional_expected_average_profit(f, m),
        "clv": MARGIN * theirs_spend.customer_lifetime_value(theirs_model, *map(pd.Series, (f, at, t, m)), time=HORIZON,
                                                             discount_rate=MONTHLY, freq="W").to_numpy(),
    }
    for column, tolerance in (("p_alive", 1e-12), ("expected_purchases", 1e-12), ("expected_order_value", 1e-12), ("clv", 1e-10)):
        np.testing.assert_allclose(ours[column], np.asarray(theirs[column], dtype=float), rtol=tolerance, err_msg=column)
    # and the plain lifetimes fit scores customers the same, to the parameters' tolerance
    np.testing.assert_allclose(ours["p_alive"], plain.conditional_probability_alive(f, at, t), rtol=1e-6)
    np.testing.assert_allclose(ours["expected_purchases"],
                               plain.conditional_expected_number_of_purchases_up_to_time(HORIZON * 4.345, f, at, t), rtol=1e-6)


def test_without_returns_the_return_rate_leaves_clv_as_lifetimes(cdnow_summary, spend):
    """Statistics with their sales and returns (net_positive, as clv.customer_rfm holds them) but no returns: the
    expected return rate is 0 under either method and CLV is still lifetimes' customer_lifetime_value."""
    sales = cdnow_summary["monetary_value"] * (cdnow_summary["frequency"] + 1)
    rfm = cdnow_summary.with_columns(sales_value=sales, returned_value=pl.lit(0.0), purchase_day=pl.lit("net_positive"))
    fit = clv.fit_purchase_model("bgnbd", cdnow_summary)
    f, r, t, m = (cdnow_summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "t", "monetary_value"))
    theirs = MARGIN * _lifetimes_fitter("gamma_gamma", spend.params).customer_lifetime_value(
        _lifetimes_fitter("bgnbd", fit.params), *map(pd.Series, (f, r, t, m)), time=HORIZON, discount_rate=MONTHLY, freq="W")
    for method in clv.RETURN_RATE_METHODS:
        scored = clv.score(fit, spend, rfm, "weeks", HORIZON, RATE, MARGIN, return_rate=method)
        assert (scored["expected_return_rate"] == 0).all()
        np.testing.assert_allclose(scored["clv"].to_numpy(), theirs.to_numpy(), rtol=1e-10)
