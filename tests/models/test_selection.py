"""Model selection without a database: the choice, the Gamma-Gamma fallback, the correlation flag, weighted holdout metrics."""

import math

import numpy as np
import polars as pl
import pytest

from models import synthetic
from models.clv import Fit, selection
from models.clv.rfm import compress


def _tested(model: str, holdout_ll: float | None, bic: float = 100.0, origin: int = 0, tested: bool = True) -> selection.Backtest:
    fit = Fit(model, {"r": 1.0}, -1.0, tested, 10, 5, 0.0)
    metrics = {"holdout_log_likelihood": holdout_ll, "bic": bic} if tested else {}
    return selection.Backtest(fit, metrics, origin=origin)


def test_auto_chooses_the_highest_holdout_log_likelihood_over_the_origins():
    backtests = [_tested("bgnbd", -500, origin=0), _tested("bgnbd", -520, origin=1),
                 _tested("paretonbd", -490, origin=0), _tested("paretonbd", -560, origin=1),  # best at origin 0 alone
                 _tested("mbgnbd", -505, origin=0), _tested("mbgnbd", -525, origin=1)]
    assert selection.rank_purchase_models("auto", ["bgnbd", "paretonbd", "mbgnbd"], backtests) == (["bgnbd", "mbgnbd", "paretonbd"], [])


def test_holdout_log_likelihoods_within_the_tie_band_are_ordered_by_bic():
    band = selection.TIE_NATS_PER_ORIGIN
    backtests = [_tested("bgnbd", -500.0, bic=1_010), _tested("mbgnbd", -500.0 - band, bic=1_000),
                 _tested("paretonbd", -500.0 - band - 0.01, bic=900)]
    assert selection.rank(backtests) == ["mbgnbd", "bgnbd", "paretonbd"]


def test_baselines_are_ranked_but_never_chosen_and_a_winning_one_is_a_warning():
    backtests = [_tested("bgnbd", -600), _tested("calibration_rate", -500), _tested("zero_forecast", None, bic=None)]
    assert selection.rank(backtests) == ["calibration_rate", "bgnbd", "zero_forecast"]
    ranked, warnings = selection.rank_purchase_models("auto", ["bgnbd"], backtests)
    assert ranked == ["bgnbd"]
    assert warnings == ["the calibration rate baseline forecasts the holdout better than BG/NBD: the purchase models do not describe this data"]


def test_a_candidate_not_tested_at_every_origin_is_never_chosen():
    backtests = [_tested("mbgnbd", -400, origin=0), _tested("mbgnbd", None, origin=1, tested=False),
                 _tested("bgnbd", -500, origin=0), _tested("bgnbd", -500, origin=1)]
    assert selection.rank_purchase_models("auto", ["mbgnbd", "bgnbd"], backtests) == (["bgnbd"], [])


def test_without_any_backtest_the_first_candidate_is_taken_and_said():
    backtests = [_tested("mbgnbd", None, tested=False), _tested("bgnbd", None, tested=False)]
    ranked, warnings = selection.rank_purchase_models("auto", ["mbgnbd", "bgnbd"], backtests)
    assert ranked == ["mbgnbd", "bgnbd"]
    assert warnings == ["no candidate could be tested on the holdout; mbgnbd chosen without a backtest"]


def test_a_configured_model_is_taken_whatever_the_backtest():
    assert selection.rank_purchase_models("bgnbd", ["paretonbd"], [_tested("paretonbd", -1.0)]) == (["bgnbd"], [])


def test_the_baselines_criteria(cdnow_summary):
    """Predicting zero gives every purchase probability 0 and misses the whole frequency table; the pooled rate is
    the maximum-likelihood Poisson rate of the calibration purchases."""
    calibration = cdnow_summary.with_columns(frequency_holdout=pl.col("frequency"), monetary_value_holdout=pl.lit(0.0))
    zero = selection.backtest("zero_forecast", calibration, 39.0)
    assert zero.metrics["holdout_log_likelihood"] is None and zero.metrics["bic"] is None
    assert zero.metrics["frequency_table_error"] == 1.0 and zero.metrics["holdout_predicted"] == 0
    rate = selection.backtest("calibration_rate", calibration, 39.0)
    expected_rate = cdnow_summary["frequency"].sum() / cdnow_summary["t"].sum()
    assert rate.fit.params["rate"] == pytest.approx(expected_rate)
    assert rate.metrics["holdout_predicted"] == pytest.approx(expected_rate * 39.0 * 2_357)
    assert rate.metrics["bic"] == pytest.approx(-2 * rate.fit.log_likelihood + math.log(2_357))
    bgnbd = selection.backtest("bgnbd", calibration, 39.0)
    assert bgnbd.metrics["holdout_log_likelihood"] > rate.metrics["holdout_log_likelihood"]
    assert bgnbd.metrics["bic"] < rate.metrics["bic"]
    assert bgnbd.metrics["frequency_table_error"] < zero.metrics["frequency_table_error"]


@pytest.mark.parametrize(("correlation", "flagged"), [(0.31, True), (-0.31, True), (0.3, False), (0.29, False), (math.nan, False)])
def test_the_correlation_flag_is_above_0_3_either_way(correlation, flagged):
    assert (selection.correlation_warning(correlation) is not None) == flagged


def _calibration(rows: list[tuple]) -> pl.DataFrame:
    columns = ("frequency", "recency", "t", "monetary_value", "frequency_holdout", "monetary_value_holdout")
    return pl.DataFrame(rows, schema=list(columns), orient="row")


def test_spend_metrics_count_compressed_rows_n_times():
    spend = Fit("gamma_gamma", {"p": 6.0, "q": 4.0, "v": 15.0}, 0.0, True, 0, 0, 0.0)
    customers = _calibration([(2, 5.0, 9.0, 30.0, 1, 20.0), (2, 5.0, 9.0, 30.0, 1, 20.0), (1, 2.0, 9.0, 10.0, 2, 15.0),
                              (3, 7.0, 9.0, 40.0, 0, 0.0)])
    compressed = customers.group_by(customers.columns).agg(n=pl.len())
    one_per_customer = customers.with_columns(n=pl.lit(1))
    assert selection.spend_holdout_metrics(spend, compressed) == pytest.approx(selection.spend_holdout_metrics(spend, one_per_customer))
    metrics = selection.spend_holdout_metrics(spend, compressed)
    assert metrics["holdout_customers"] == 3
    assert metrics["holdout_actual"] == pytest.approx((20 + 20 + 15) / 3)


def test_spend_metrics_are_empty_for_an_unusable_fit():
    unusable = Fit("gamma_gamma", {}, math.nan, False, 0, 0, 0.0)
    assert selection.spend_holdout_metrics(unusable, _calibration([(2, 5.0, 9.0, 30.0, 1, 20.0)]).with_columns(n=pl.lit(1))) == {}


def _statistics(repeat_spend: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """60 customers with 1 to 5 repeat purchases over a year; every repeat purchase is worth repeat_spend."""
    rng = np.random.default_rng(3)
    frequency = np.arange(60) % 5 + 1
    t = 52.0 - (np.arange(60) % 20) / 7
    recency = t * rng.uniform(0.5, 1.0, 60)
    rfm = pl.DataFrame({"frequency": frequency.astype(float), "recency": recency, "t": t,
                        "monetary_value": np.full(60, repeat_spend)})
    calibration = rfm.with_columns(recency=pl.col("recency") / 2, t=pl.col("t") / 2, frequency=(pl.col("frequency") // 2).cast(float),
                                   frequency_holdout=pl.col("frequency") - pl.col("frequency") // 2,
                                   monetary_value_holdout=pl.lit(repeat_spend))
    return calibration.with_columns(n=pl.lit(1)), compress(rfm, ("frequency", "recency", "t", "monetary_value"))


def test_without_positive_repeat_spend_the_fallback_mean_is_recorded_and_chosen():
    calibration, final = _statistics(0.0)
    result = selection.select_models(calibration, final, model="bgnbd", candidates=["bgnbd"], holdout_duration=26.0,
                                     fallback_order_value=20.0, min_repeat_customers=5)
    assert result.spend is None and result.fallback_order_value == 20.0
    finals = {r.fit.model: (r.fit.converged, r.chosen) for r in result.records if r.stage == "final"}
    assert finals == {"bgnbd": (True, True), "gamma_gamma": (False, False), "empirical_mean": (True, True)}
    empirical = next(r.fit for r in result.records if r.fit.model == "empirical_mean")
    assert empirical.params == {"mean": 20.0}
    assert empirical.note in result.warnings


def test_every_candidate_and_baseline_is_recorded_in_calibration_once():
    calibration, final = _statistics(25.0)
    result = selection.select_models(calibration, final, model="auto", candidates=["bgnbd", "mbgnbd"], holdout_duration=26.0,
                                     fallback_order_value=20.0, min_repeat_customers=5)
    assert [(r.stage, r.fit.model) for r in result.records if r.stage == "calibration"] == [
        ("calibration", "bgnbd"), ("calibration", "mbgnbd"), ("calibration", "zero_forecast"),
        ("calibration", "calibration_rate"), ("calibration", "gamma_gamma")]
    assert result.purchase.model in ("bgnbd", "mbgnbd")


def test_every_origin_is_backtested_and_recorded_with_its_rank():
    origins = synthetic.forecast_origins(synthetic.Parameters(), 800, 1, (52.0, 39.0), 52.0, 104.0, resolution=1.0)
    final = origins.filter(pl.col("origin") == 0).drop("origin")
    result = selection.select_models(origins, final, model="auto", candidates=["bgnbd", "mbgnbd"], holdout_duration=52.0,
                                     fallback_order_value=20.0)
    purchase = [(r.metrics["origin"], r.fit.model) for r in result.records if r.stage == "calibration" and r.fit.model != "gamma_gamma"]
    assert sorted(purchase) == [(o, m) for o in (0, 1) for m in sorted(["bgnbd", "mbgnbd", "zero_forecast", "calibration_rate"])]
    ranks = {r.fit.model: r.metrics["selection_rank"] for r in result.records if r.stage == "calibration" and "origin" in r.metrics}
    assert sorted(ranks.values()) == [1, 2, 3, 4]
    assert ranks[result.purchase.model] == 1
    assert ranks["zero_forecast"] == 4


GENERATORS = {  # dropout strong enough to be identified from two years of 3,000 customers
    "bgnbd": synthetic.Parameters(model="bgnbd", a=0.8, b=2.5),
    "mbgnbd": synthetic.Parameters(model="mbgnbd", a=0.8, b=2.5),
    "paretonbd": synthetic.Parameters(model="paretonbd", s=1.5, beta=30.0),
}


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(GENERATORS))
def test_auto_picks_the_generating_model_in_most_seeds_and_never_a_baseline(model):
    """Two years, customers acquired in the first; origins at weeks 52 and 39, each with a 52-week holdout."""
    picks = []
    for seed in range(4):
        origins = synthetic.forecast_origins(GENERATORS[model], 3_000, seed, (52.0, 39.0), 52.0, 104.0, resolution=1.0)
        backtests = [selection.backtest(m, calibration, 52.0, origin=o)
                     for o, calibration in selection.origins(origins) for m in [*GENERATORS, *selection.BASELINES]]
        order = selection.rank(backtests)
        assert set(order[:3]) == set(GENERATORS), order  # both baselines rank below every model
        ranked, warnings = selection.rank_purchase_models("auto", list(GENERATORS), backtests)
        assert ranked[0] == order[0] and not warnings
        picks.append(order[0])
    assert picks.count(model) >= 3, picks


def test_an_origin_with_few_repeat_customers_is_a_warning():
    origins = synthetic.forecast_origins(synthetic.Parameters(), 400, 2, (52.0, 20.0), 52.0, 104.0, resolution=1.0)
    repeaters = {o: int((c["frequency"] > 0).sum()) for o, c in selection.origins(origins)}
    final = origins.filter(pl.col("origin") == 0).drop("origin")
    result = selection.select_models(origins, final, model="bgnbd", candidates=["bgnbd"], holdout_duration=52.0,
                                     fallback_order_value=20.0, min_backtest_repeat_customers=repeaters[0])
    assert [w for w in result.warnings if w.startswith("forecast origin")] == [
        f"forecast origin 1: only {repeaters[1]:,} customers repeat in the calibration period, fewer than {repeaters[0]:,}: "
        "the model choice rests on little evidence"]
