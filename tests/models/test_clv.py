"""CLV models: compressed fits equal plain lifetimes fits; scoring and CLV equal lifetimes; degenerate data."""

import lifetimes
import numpy as np
import polars as pl
import pytest

from models import clv
from models.clv import purchase
from models.clv.purchase import _BGData, _bgnbd_objective, _Codes
from models.clv.spend import _gamma_gamma_objective, _SpendData


def _plain(model: str, rfm: pl.DataFrame) -> dict:
    # Same optimiser options as segprof (a fixed start for Pareto/NBD); only the compression differs.
    fitter = clv.FITTERS[model]().fit(rfm["frequency"].to_numpy(), rfm["recency"].to_numpy(), rfm["t"].to_numpy(),
                                      **clv.FIT_OPTIONS.get(model, {}))
    return dict(fitter.params_)


def _same_to_1e6(a: dict, b: dict):
    """Equal to 1e-6 relative, the tolerance docs/clv.md states."""
    assert a.keys() == b.keys()
    np.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-6)


def test_compression_counts_customers(cdnow_summary):
    triples = clv.compress(cdnow_summary)
    assert triples["n"].sum() == cdnow_summary.height
    assert triples.height == cdnow_summary.unique(["frequency", "recency", "t"]).height < cdnow_summary.height


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "paretonbd"])
def test_compressed_fit_equals_plain_lifetimes_fit(cdnow_summary, model):
    fit = clv.fit_purchase_model(model, cdnow_summary)
    assert fit.converged and fit.n_triples < fit.n_customers == 2_357
    _same_to_1e6(fit.params, _plain(model, cdnow_summary))


@pytest.mark.parametrize("block_rows", [1 << 17, 256])
def test_vectorised_bgnbd_equals_lifetimes_on_weighted_generated_data(monkeypatch, block_rows):
    """segprof's BG/NBD (NumPy likelihood, analytic gradient) against lifetimes' autograd fit, weights included; the
    row sums in one block and in several, on threads."""
    monkeypatch.setattr(purchase, "_BLOCK_ROWS", block_rows)
    rng = np.random.default_rng(4)
    summary = pl.DataFrame({"frequency": rng.poisson(1.2, 3000), "t": rng.uniform(5, 80, 3000).round(1)})
    summary = summary.with_columns(recency=pl.when(pl.col("frequency") > 0).then((pl.col("t") * rng.uniform(0, 1, 3000)).round(1)).otherwise(0.0))
    triples = clv.compress(summary)
    assert (triples.height > block_rows) == (block_rows == 256)
    ours = clv.fit_purchase_model("bgnbd", triples, penalizer=0.001)
    theirs = lifetimes.BetaGeoFitter(penalizer_coef=0.001).fit(
        triples["frequency"].to_numpy(), triples["recency"].to_numpy(), triples["t"].to_numpy(), weights=triples["n"].to_numpy())
    np.testing.assert_allclose(list(ours.params.values()), theirs.params_.to_numpy(), rtol=1e-6)
    codes = (_Codes.of(triples["frequency"].to_numpy()), _Codes.of(triples["recency"].to_numpy() / 80),
             _Codes.of(triples["t"].to_numpy() / 80))
    data = _BGData.of(*codes, triples["n"].to_numpy())
    objective, gradient = _bgnbd_objective(np.log([0.5, 3.0, 0.7, 1.5]), data, 0.0)
    step = 1e-6
    numeric = [(_bgnbd_objective(np.log([0.5, 3.0, 0.7, 1.5]) + e, data, 0.0)[0]
                - _bgnbd_objective(np.log([0.5, 3.0, 0.7, 1.5]) - e, data, 0.0)[0])
               / (2 * step) for e in np.eye(4) * step]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5)
    assert objective == pytest.approx(lifetimes.BetaGeoFitter._negative_log_likelihood(
        np.log([0.5, 3.0, 0.7, 1.5]), triples["frequency"].to_numpy(), triples["recency"].to_numpy() / 80,
        triples["t"].to_numpy() / 80, triples["n"].to_numpy(), 0.0), rel=1e-12)


def test_bgnbd_matches_the_paper(cdnow_summary):
    """Fader, Hardie & Lee (2005): r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4."""
    fit = clv.fit_purchase_model("bgnbd", cdnow_summary)
    assert {k: round(v, 3) for k, v in fit.params.items()} == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert round(fit.log_likelihood, 1) == -9582.4


def test_paretonbd_log_likelihood_matches_the_paper(cdnow_summary):
    assert round(clv.fit_purchase_model("paretonbd", cdnow_summary).log_likelihood, 0) == -9595.0


def test_compressed_gamma_gamma_equals_plain(cdnow_summary):
    fit = clv.fit_spend_model(cdnow_summary)
    repeat = cdnow_summary.filter(pl.col("frequency") > 0)
    plain = lifetimes.GammaGammaFitter().fit(repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy())
    np.testing.assert_allclose(list(fit.params.values()), plain.params_.to_numpy(), rtol=1e-6)
    assert fit.log_likelihood == pytest.approx(-plain._negative_log_likelihood_ * repeat.height, rel=1e-9)
    x, m = repeat["frequency"].to_numpy().astype(float), repeat["monetary_value"].to_numpy()
    w, at = np.ones(repeat.height), np.log([3.0, 2.0, 10.0])
    data = _SpendData.of(x, m, w)
    value, gradient = _gamma_gamma_objective(at, data, 0.0)
    assert value == pytest.approx(lifetimes.GammaGammaFitter._negative_log_likelihood(at, x, m, w, 0.0), rel=1e-12)
    numeric = [(_gamma_gamma_objective(at + e, data, 0.0)[0] - _gamma_gamma_objective(at - e, data, 0.0)[0]) / 2e-6
               for e in np.eye(3) * 1e-6]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5)


def test_scores_and_clv_equal_lifetimes(cdnow_summary):
    purchase = clv.fit_purchase_model("bgnbd", cdnow_summary)
    spend = clv.fit_spend_model(cdnow_summary)
    scored = clv.score(purchase, spend, cdnow_summary, "weeks", horizon_months=12, annual_discount_rate=0.12, margin_rate=0.3)
    f, r, t, m = (cdnow_summary[c].to_pandas() for c in ("frequency", "recency", "t", "monetary_value"))
    bgf, ggf = purchase.fitter, spend.fitter
    np.testing.assert_allclose(scored["p_alive"].to_numpy(), bgf.conditional_probability_alive(f, r, t), rtol=1e-12)
    np.testing.assert_allclose(scored["expected_purchases"].to_numpy(),
                               bgf.conditional_expected_number_of_purchases_up_to_time(12 * 4.345, f, r, t), rtol=1e-12)
    np.testing.assert_allclose(scored["expected_order_value"].to_numpy(), ggf.conditional_expected_average_profit(f, m), rtol=1e-12)
    monthly = 1.12 ** (1 / 12) - 1
    expected = ggf.customer_lifetime_value(bgf, f, r, t, m, time=12, discount_rate=monthly, freq="W") * 0.3
    np.testing.assert_allclose(scored["clv"].to_numpy(), expected.to_numpy(), rtol=1e-10)


def test_non_positive_repeat_spend_is_floored_at_zero():
    spend = clv.Fit("gamma_gamma", {"p": 6.0, "q": 4.0, "v": 15.0}, 0.0, True, 0, 0, 0.0)
    value = clv.expected_order_value(spend, np.array([0, 2, 2]), np.array([0.0, -10.0, 0.0]), fallback=0)
    assert value[0] == pytest.approx(6 * 15 / 3)  # one-time buyer: population mean p*v/(q-1)
    assert value[1] == value[2] == pytest.approx(6 * 15 / (6 * 2 + 3))
    assert (value > 0).all()


def test_value_tiers():
    clv_values = np.array([100.0, 90, 80, 70, 60, 50, 40, 30, 20, 10, 5])
    p_alive = np.array([1.0] * 10 + [0.05])
    tiers = clv.value_tiers(clv_values, p_alive, [("platinum", 0.1), ("gold", 0.2)], "bronze", inactive_below=0.1)
    assert tiers.tolist() == ["platinum", "gold", "gold"] + ["bronze"] * 7 + ["inactive"]


def test_holdout_metrics_and_histogram(cdnow_summary):
    fit = clv.fit_purchase_model("bgnbd", cdnow_summary)
    calibration = cdnow_summary.with_columns(frequency_holdout=pl.col("frequency"))
    metrics = clv.holdout_metrics(fit, calibration, 39.0)
    assert metrics["holdout_customers"] == 2_357
    assert metrics["holdout_actual"] == cdnow_summary["frequency"].sum()
    assert metrics["holdout_mae"] > 0 and 0 < metrics["holdout_correlation"] <= 1
    histogram = clv.repeat_purchase_histogram(fit, cdnow_summary)
    assert histogram["actual"].sum() == 2_357
    assert histogram["expected"].sum() == pytest.approx(2_357)
    # The paper's Figure: about 1,411 customers with no repeat purchase; the fit reproduces it closely.
    assert histogram["actual"][0] == 1_411 and abs(histogram["expected"][0] - 1_411) < 40


def _rfm(frequency, recency, t, monetary=None) -> pl.DataFrame:
    n = len(frequency)
    return pl.DataFrame({"frequency": frequency, "recency": [float(x) for x in recency], "t": [float(x) for x in t],
                         "monetary_value": monetary or [0.0] * n})


def test_everyone_buying_once_is_a_clear_error():
    with pytest.raises(clv.ModelError, match="no customer has a repeat purchase; at least 10 are needed"):
        clv.fit_purchase_model("bgnbd", _rfm([0] * 50, [0] * 50, [10] * 50))


def test_a_single_customer_is_a_clear_error():
    with pytest.raises(clv.ModelError, match="only 1 of 1 customers have a repeat purchase"):
        clv.fit_purchase_model("paretonbd", _rfm([3], [5], [10]))


def test_too_few_repeat_spenders_for_gamma_gamma():
    with pytest.raises(clv.ModelError, match="only 2 customers have repeat purchases with positive spend"):
        clv.fit_spend_model(_rfm([1, 2, 0], [1, 2, 0], [5, 5, 5], [10.0, 20.0, 0.0]))


def test_a_fit_that_does_not_converge_is_recorded(cdnow_summary, monkeypatch):
    def no_convergence(self, *args, **kwargs):
        raise lifetimes.utils.ConvergenceError("The model did not converge.")

    monkeypatch.setattr(lifetimes.ModifiedBetaGeoFitter, "fit", no_convergence)
    fit = clv.fit_purchase_model("mbgnbd", cdnow_summary)
    assert not fit.converged and not fit.usable
    assert fit.note.startswith("did not converge")


def test_non_finite_scores_are_refused(cdnow_summary):
    fit = clv.fit_purchase_model("bgnbd", cdnow_summary)
    broken = clv.Fit("bgnbd", {**fit.params, "alpha": float("nan")}, 0.0, True, 0, 0, 0.0)
    with pytest.raises(clv.ModelError, match="non-finite scores"):
        clv.score(broken, None, cdnow_summary, "weeks", fallback_order_value=10.0)


def test_paretonbd_scores_a_purchase_on_the_as_of_day(cdnow_summary):
    fit = clv.fit_purchase_model("paretonbd", cdnow_summary)
    rfm = _rfm([5, 5], [38.0, 38.0 - 1e-3], [38.0, 38.0])
    scored = clv.score(fit, None, rfm, "weeks", fallback_order_value=10.0)
    assert scored["p_alive"][0] == pytest.approx(1.0, abs=1e-5)
    assert scored["expected_purchases"][0] == pytest.approx(scored["expected_purchases"][1], rel=1e-3)
