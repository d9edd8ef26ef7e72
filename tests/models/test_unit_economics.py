"""models.clv.unit_economics and CLV in profit terms (models.clv.scoring.score with a Valuation): the stored
components explain each CLV, the margin-rate CLV is the special case it should be, and each cost moves CLV as the
P&L's cost model says it should."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from models import clv
from models.clv import intervals
from models.clv.scoring import LIFETIMES_UNITS_PER_MONTH

PROFIT = clv.Valuation("profit", cogs_rate_prior_purchases=0.0)


@pytest.fixture(scope="module")
def fits(cdnow_summary):
    purchase = intervals.with_covariance(clv.fit_purchase_model("bgnbd", cdnow_summary), cdnow_summary)
    spend = intervals.with_covariance(clv.fit_spend_model(cdnow_summary), cdnow_summary)
    return purchase, spend


def _history(rfm: pl.DataFrame, seed: int = 1, **overrides) -> pl.DataFrame:
    """Each CDNOW-sample customer with a made-up cost history (sql/clv/customer_unit_costs.sql's columns)."""
    rng = np.random.default_rng(seed)
    days = rfm["frequency"].to_numpy() + 1
    sales = rfm["monetary_value"].to_numpy() * days + 20.0
    returned = sales * rng.uniform(0, 0.2, rfm.height)
    columns = {
        "sales_value": sales, "returned_value": returned, "cogs_value": sales * rng.uniform(0.4, 0.7, rfm.height),
        "cost_to_serve_value": days * rng.uniform(1.0, 4.0, rfm.height), "sale_days": days,
        "return_lines": rng.integers(0, 3, rfm.height), "marketing_cost_per_month": np.full(rfm.height, 0.5),
        "marketed_months": rng.integers(0, 13, rfm.height),
    }
    return rfm.with_columns(**{k: pl.Series(v) for k, v in {**columns, **overrides}.items()})


def _score(purchase, spend, rfm, valuation=PROFIT, **kwargs):
    return clv.score(purchase, spend, rfm, "weeks", 12, 0.10, valuation=valuation, **kwargs)


def test_each_clv_is_its_formula_from_the_customers_own_costs(cdnow_summary, fits):
    rfm = _history(cdnow_summary)
    valuation = clv.Valuation("profit", cogs_rate_prior_purchases=0.0, handling_per_return=2.0)
    scored = _score(*fits, rfm, valuation)
    sales, returned = rfm["sales_value"].to_numpy(), rfm["returned_value"].to_numpy()
    # without a prior weight, the customer's own rates and costs per purchase day
    np.testing.assert_allclose(scored["cogs_rate"], rfm["cogs_value"].to_numpy() / sales, rtol=1e-12)
    np.testing.assert_allclose(scored["cost_to_serve_per_order"], rfm["cost_to_serve_value"] / rfm["sale_days"], rtol=1e-12)
    handling = 2.0 * rfm["return_lines"].sum() / returned.sum()  # per unit of money returned, the population's
    np.testing.assert_allclose(scored["returns_cost_rate"], scored["expected_return_rate"] * (1 + handling), rtol=1e-12)
    aov = scored["expected_order_value"].to_numpy()
    np.testing.assert_allclose(scored["gross_margin_per_order"], aov * (1 - scored["cogs_rate"].to_numpy()), rtol=1e-12)
    np.testing.assert_allclose(scored["returns_cost_per_order"], aov * scored["returns_cost_rate"].to_numpy(), rtol=1e-12)
    expected = (scored["discounted_purchases"] * (scored["gross_margin_per_order"] - scored["cost_to_serve_per_order"]
                                                  - scored["returns_cost_per_order"]) - scored["expected_marketing_cost"])
    np.testing.assert_allclose(scored["clv"], expected, rtol=1e-12, atol=1e-12)
    assert scored["expected_marketing_cost"].min() > 0 and scored["clv"].min() < 0 < scored["clv"].max()


def test_with_no_costs_and_the_cogs_rate_one_minus_margin_profit_clv_is_the_margin_rate_clv(cdnow_summary, fits):
    sales = cdnow_summary["monetary_value"].to_numpy() * (cdnow_summary["frequency"].to_numpy() + 1) + 20.0
    rfm = _history(cdnow_summary, cogs_value=0.7 * sales, sales_value=sales, returned_value=np.zeros(cdnow_summary.height),
                   cost_to_serve_value=np.zeros(cdnow_summary.height), marketing_cost_per_month=np.zeros(cdnow_summary.height))
    profit = _score(*fits, rfm, clv.Valuation("profit", handling_per_return=3.0))  # no return line: no handling either
    margin = clv.score(*fits, cdnow_summary, "weeks", 12, 0.10, margin_rate=0.3)
    np.testing.assert_allclose(profit["cogs_rate"], 0.7, rtol=1e-12)
    np.testing.assert_allclose(profit["clv"], margin["clv"], rtol=1e-12)
    # and the margin-rate CLV is lifetimes' times the margin (tests/models/test_lifetimes_equality.py) with its components
    np.testing.assert_allclose(margin["clv"], 0.3 * margin["expected_order_value"] * margin["discounted_purchases"], rtol=1e-12)


def test_returns_cost_the_refund_in_full_in_profit_terms(cdnow_summary, fits):
    """The P&L does not credit the cost of returned goods back: a returned dollar costs a dollar, not the margin on it."""
    rfm = _history(cdnow_summary, cost_to_serve_value=np.zeros(cdnow_summary.height),
                   marketing_cost_per_month=np.zeros(cdnow_summary.height))
    profit = _score(*fits, rfm)
    assert profit["expected_return_rate"].min() > 0
    kept = 1 - profit["cogs_rate"] - profit["expected_return_rate"]
    np.testing.assert_allclose(profit["clv"], profit["expected_order_value"] * kept * profit["discounted_purchases"], rtol=1e-9)


def test_a_customer_whose_category_costs_more_is_worth_less(cdnow_summary, fits):
    rfm = _history(cdnow_summary)
    pricier = rfm.with_columns(cogs_value=pl.col("cogs_value") + 0.1 * pl.col("sales_value"))
    for prior in (0.0, 5.0):  # shrunk toward the population or not
        valuation = clv.Valuation("profit", cogs_rate_prior_purchases=prior)
        base, costly = _score(*fits, rfm, valuation), _score(*fits, pricier.head(1).vstack(rfm.tail(-1)), valuation)
        assert costly["cogs_rate"][0] > base["cogs_rate"][0] and costly["clv"][0] < base["clv"][0]
    # shrinkage: a customer with little history is pulled toward the population's rate more than one with a long one
    shrunk = _score(*fits, rfm, clv.Valuation("profit", cogs_rate_prior_purchases=5.0))
    population = rfm["cogs_value"].sum() / rfm["sales_value"].sum()
    own = (rfm["cogs_value"] / rfm["sales_value"]).to_numpy()
    pull = np.abs(shrunk["cogs_rate"].to_numpy() - own) / np.abs(population - own)
    heavy, light = rfm["sales_value"].to_numpy() > 500, rfm["sales_value"].to_numpy() < 50
    assert np.nanmedian(pull[light]) > 0.5 > np.nanmedian(pull[heavy])


def test_marketing_lowers_clv_by_its_discounted_sum(cdnow_summary, fits):
    monthly = (1 + 0.10) ** (1 / 12) - 1
    discount = 1 / (1 + monthly) ** np.arange(1, 13)
    none = _score(*fits, _history(cdnow_summary, marketing_cost_per_month=np.zeros(cdnow_summary.height)))
    # marketed for the whole horizon by purchases already made: every month's cost, discounted
    committed = _score(*fits, _history(cdnow_summary, marketed_months=np.full(cdnow_summary.height, 12)))
    np.testing.assert_allclose(none["clv"] - committed["clv"], 0.5 * discount.sum(), rtol=1e-9)
    # not marketed unless they buy again: each month's cost times the probability of a repeat purchase by then
    lapsing = _score(*fits, _history(cdnow_summary, marketed_months=np.zeros(cdnow_summary.height)))
    purchase = fits[0]
    f, r, t = (cdnow_summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "t"))
    buys = np.stack([1 - clv.predictive.holdout_probability(purchase, np.zeros_like(f), f, r, t, m * LIFETIMES_UNITS_PER_MONTH["weeks"])
                     for m in range(1, 13)], axis=1)
    np.testing.assert_allclose(none["clv"] - lapsing["clv"], 0.5 * buys @ discount, rtol=1e-9)
    assert (lapsing["expected_marketing_cost"] < committed["expected_marketing_cost"]).all()
    # a customer with a high chance of buying soon is marketed nearly throughout, a lapsed one hardly at all
    assert lapsing["expected_marketing_cost"].max() > 0.8 * 0.5 * discount.sum() > 0.05 > lapsing["expected_marketing_cost"].min()


@pytest.mark.parametrize("method", ["delta", "draws"])
def test_the_intervals_apply_the_same_economics_to_every_parameter_set(cdnow_summary, fits, method):
    purchase, spend = fits
    scored = _score(purchase, spend, _history(cdnow_summary))
    settings = intervals.IntervalSettings("weeks", draws=100, method=method)
    net = intervals.with_customer_intervals(scored, purchase, spend, settings)
    assert net.height == scored.height and net["clv_low"].null_count() == 0
    tolerance = 1e-5 * net["clv"].abs().max()
    assert (net["clv_low"] <= net["clv"] + tolerance).all() and (net["clv"] <= net["clv_high"] + tolerance).all()
    # a one-customer group's equity interval is that customer's: the group sums use the same economics
    for row in (net.filter(pl.col("frequency") == 5).head(1), net.filter(pl.col("frequency") == 0).head(1)):
        group = row.with_columns(group=pl.lit("one"), kept=1 - pl.col("cogs_rate") - pl.col("returns_cost_rate")).select(
            "group", "frequency", "recency", "t", "marketed_months", "kept", "cost_to_serve_per_order", "marketing_cost_per_month",
            kept_spend=pl.col("kept") * pl.col("monetary_value").clip(0))
        alone = intervals.group_equity_intervals(purchase, spend, group, ["group"], settings)
        np.testing.assert_allclose(alone.select("equity_low", "equity_high").row(0), row.select("clv_low", "clv_high").row(0),
                                   rtol=1e-5)
