"""Expected return rate: population rate, per-customer shrinkage toward it, and CLV net of it."""

import numpy as np
import polars as pl
import pytest

from models import clv


def _rfm(frequency, sales, returned, purchase_day="net_positive", **extra) -> pl.DataFrame:
    n = len(frequency)
    return pl.DataFrame({"frequency": frequency, "recency": [float(f) for f in frequency], "t": [40.0] * n,
                         "monetary_value": [20.0] * n, "sales_value": sales, "returned_value": returned,
                         "purchase_day": [purchase_day] * n, **extra})


def test_population_rate_is_returned_over_sold_value():
    rfm = _rfm([0, 1, 9], [100.0, 200.0, 700.0], [0.0, 50.0, 0.0])
    assert clv.population_return_rate(rfm) == pytest.approx(0.05)
    np.testing.assert_allclose(clv.expected_return_rate(rfm, "population"), [0.05] * 3)


def test_customer_rate_is_shrunk_toward_the_population_the_less_they_bought():
    # population rate 0.05; mean value per purchase day 1000 / 13 days
    rfm = _rfm([0, 1, 9], [100.0, 200.0, 700.0], [0.0, 50.0, 0.0])
    own = np.array([0.0, 0.25, 0.0])
    np.testing.assert_allclose(clv.expected_return_rate(rfm, "customer", prior_purchases=0.0), own)
    np.testing.assert_allclose(clv.expected_return_rate(rfm, "customer", prior_purchases=1e9), [0.05] * 3, rtol=1e-6)
    rate = clv.expected_return_rate(rfm, "customer", prior_purchases=5.0)
    prior = 5.0 * 1000 / 13
    np.testing.assert_allclose(rate, (np.array([0.0, 50.0, 0.0]) + prior * 0.05) / (np.array([100.0, 200.0, 700.0]) + prior))
    # between their own rate and the population's
    assert np.all((np.minimum(own, 0.05) <= rate) & (rate <= np.maximum(own, 0.05)))


def test_compressed_rows_give_the_per_customer_rates():
    rfm = _rfm([0, 1, 9, 1], [100.0, 200.0, 700.0, 200.0], [0.0, 50.0, 0.0, 50.0])
    compressed = rfm.group_by(rfm.columns, maintain_order=True).agg(n=pl.len())
    assert compressed.height == 3
    np.testing.assert_allclose(clv.expected_return_rate(compressed, "customer"), clv.expected_return_rate(rfm, "customer")[:3])


def test_no_separate_rate_when_returns_are_inside_the_spend():
    """any_line statistics (lifetimes' definition) and statistics without sales and returns have rate 0."""
    assert not clv.expected_return_rate(_rfm([1, 2], [10.0, 20.0], [5.0, 5.0], "any_line")).any()
    assert not clv.expected_return_rate(_rfm([1, 2], [10.0, 20.0], [5.0, 5.0]).drop("sales_value", "returned_value")).any()
    old_rows = _rfm([1, 2], [None, None], [None, None], None)  # written before the returns policy
    assert not clv.expected_return_rate(old_rows).any()


def test_rates_stay_between_0_and_1():
    # returns of purchases made before the data start can exceed sales
    rate = clv.expected_return_rate(_rfm([0, 3], [10.0, 100.0], [30.0, 0.0]), "customer", prior_purchases=0.0)
    np.testing.assert_allclose(rate, [1.0, 0.0])


def test_clv_is_net_of_expected_returns(cdnow_summary):
    purchase, spend = clv.fit_purchase_model("bgnbd", cdnow_summary), clv.fit_spend_model(cdnow_summary)
    gross = clv.score(purchase, spend, cdnow_summary, "weeks", margin_rate=0.3)
    assert (gross["expected_return_rate"] == 0).all()
    sales = cdnow_summary["monetary_value"] * (cdnow_summary["frequency"] + 1) + 10.0
    with_returns = cdnow_summary.with_columns(sales_value=sales, returned_value=sales * 0.1, purchase_day=pl.lit("net_positive"))
    net = clv.score(purchase, spend, with_returns, "weeks", margin_rate=0.3)
    np.testing.assert_allclose(net["expected_return_rate"].to_numpy(), 0.1, rtol=1e-12)
    np.testing.assert_allclose(net["expected_order_value"].to_numpy(), gross["expected_order_value"].to_numpy())
    np.testing.assert_allclose(net["clv"].to_numpy(), 0.9 * gross["clv"].to_numpy(), rtol=1e-12)
