"""CLV rules at their boundaries: the tier pyramid rounds up, the inactive threshold is exclusive, the
frequency-monetary correlation is among repeat customers, Gamma-Gamma fits only positive repeat spend."""

import numpy as np
import polars as pl
import pytest

from models import clv


def test_tier_shares_round_up_and_the_threshold_itself_is_active():
    # 15 active customers: platinum 10 % = 1.5 -> 2 customers, gold to 30 % = 4.5 -> 5 (3 more), then bronze.
    values = np.arange(16, 0, -1, dtype=float)
    p_alive = np.array([1.0] * 14 + [0.1, 0.0999])  # exactly the threshold is active; below it inactive
    tiers = clv.value_tiers(values, p_alive, [("platinum", 0.1), ("gold", 0.2)], "bronze", inactive_below=0.1)
    assert tiers.tolist() == ["platinum"] * 2 + ["gold"] * 3 + ["bronze"] * 10 + ["inactive"]


def test_frequency_monetary_correlation_is_among_repeat_customers():
    rfm = pl.DataFrame({"frequency": [1, 2, 3, 4, 0, 0], "monetary_value": [10.0, 11.0, 9.0, 10.5, 0.0, 0.0]})
    repeat = rfm.filter(pl.col("frequency") > 0)
    expected = np.corrcoef(repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy())[0, 1]
    assert clv.frequency_monetary_correlation(rfm) == pytest.approx(expected, rel=1e-12)
    assert clv.frequency_monetary_correlation(rfm.head(4).with_columns(n=pl.lit(2))) == pytest.approx(expected, rel=1e-12)


def test_gamma_gamma_fits_only_positive_repeat_spend(cdnow_summary):
    with_returns = pl.concat([cdnow_summary, pl.DataFrame({"frequency": [3, 2], "recency": [20.0, 10.0], "t": [30.0, 30.0],
                                                           "monetary_value": [-5.0, 0.0]})], how="vertical_relaxed")
    assert clv.fit_spend_model(with_returns).params == clv.fit_spend_model(cdnow_summary).params
