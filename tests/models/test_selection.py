"""Model selection without a database: the choice, the Gamma-Gamma fallback, the correlation flag, weighted holdout metrics."""

import math

import numpy as np
import polars as pl
import pytest

from models.clv import Fit, selection
from models.clv.rfm import compress


def _tested(model: str, mae: float | None) -> selection.Backtest:
    fit = Fit(model, {"r": 1.0}, -1.0, mae is not None, 10, 5, 0.0)
    return selection.Backtest(fit, {} if mae is None else {"holdout_mae": mae})


def test_auto_chooses_the_lowest_holdout_mae():
    backtests = [_tested("bgnbd", 0.5), _tested("paretonbd", 0.4), _tested("mbgnbd", 0.45)]
    assert selection.rank_purchase_models("auto", ["bgnbd", "paretonbd", "mbgnbd"], backtests) == (["paretonbd", "mbgnbd", "bgnbd"], [])


def test_a_candidate_that_could_not_be_tested_is_never_chosen():
    backtests = [_tested("mbgnbd", None), _tested("bgnbd", 0.9)]
    assert selection.rank_purchase_models("auto", ["mbgnbd", "bgnbd"], backtests) == (["bgnbd"], [])


def test_without_any_backtest_the_first_candidate_is_taken_and_said():
    ranked, warnings = selection.rank_purchase_models("auto", ["mbgnbd", "bgnbd"], [_tested("mbgnbd", None), _tested("bgnbd", None)])
    assert ranked == ["mbgnbd", "bgnbd"]
    assert warnings == ["no candidate could be tested on the holdout; mbgnbd chosen without a backtest"]


def test_a_configured_model_is_taken_whatever_the_backtest():
    assert selection.rank_purchase_models("bgnbd", ["paretonbd"], [_tested("paretonbd", 0.1)]) == (["bgnbd"], [])


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


def test_every_candidate_is_recorded_in_calibration_once():
    calibration, final = _statistics(25.0)
    result = selection.select_models(calibration, final, model="auto", candidates=["bgnbd", "mbgnbd"], holdout_duration=26.0,
                                     fallback_order_value=20.0, min_repeat_customers=5)
    assert [(r.stage, r.fit.model) for r in result.records if r.stage == "calibration"] == [
        ("calibration", "bgnbd"), ("calibration", "mbgnbd"), ("calibration", "gamma_gamma")]
    assert result.purchase.model in ("bgnbd", "mbgnbd")
