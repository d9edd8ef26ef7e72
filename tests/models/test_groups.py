"""Pooled or by group (models.clv.groups): on data drawn from two groups with their own parameters the groups are
fitted apart; on data drawn from one set of parameters, split at random, one pooled fit is kept."""

import polars as pl
import pytest

from models import synthetic
from models.clv import groups

# Two groups of customers: frequent buyers who rarely drop out, and occasional ones who soon do.
LOYAL = synthetic.Parameters(r=1.5, alpha=4.0, a=0.3, b=6.0)
FICKLE = synthetic.Parameters(r=0.4, alpha=10.0, a=1.2, b=2.0)


def _origins(params: synthetic.Parameters, n: int, seed: int, group: str) -> pl.DataFrame:
    """Two years, customers acquired in the first; origins at weeks 52 and 39, each with a 52-week holdout."""
    return synthetic.forecast_origins(params, n, seed, (52.0, 39.0), 52.0, 104.0).with_columns(channel=pl.lit(group))


def test_groups_with_their_own_parameters_are_fitted_apart():
    wins = []
    for seed in range(3):
        data = pl.concat([_origins(LOYAL, 1_500, seed, "store"), _origins(FICKLE, 1_500, seed + 100, "web")])
        result = groups.compare("bgnbd", data, "channel", 52.0)
        assert result.reason is None and result.groups == ["store", "web"]
        assert {(b.fit.model, b.origin) for b in result.backtests} == {(m, o) for m in ("pooled", "by_group") for o in (0, 1)}
        wins.append(result.winner)
    assert wins == ["by_group"] * 3


def test_one_population_split_at_random_keeps_one_pooled_fit():
    wins = []
    for seed in range(4):
        data = _origins(synthetic.Parameters(), 3_000, seed, "")
        data = data.with_columns(channel=pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("store")).otherwise(pl.lit("web")))
        wins.append(groups.compare("bgnbd", data, "channel", 52.0).winner)
    assert wins.count("pooled") >= 3, wins


@pytest.mark.parametrize("sizes, reason", [
    ({"store": 1_500}, "channel has 1 value(s): nothing to fit apart"),
    ({"store": 1_500, "web": 60}, "fewer than 100 repeat customers in channel web"),
])
def test_by_group_is_not_compared_without_enough_repeat_customers_in_every_group(sizes, reason):
    data = pl.concat([_origins(LOYAL, n, i, group) for i, (group, n) in enumerate(sizes.items())])
    result = groups.compare("bgnbd", data, "channel", 52.0)
    assert (result.winner, result.reason, result.backtests) == ("pooled", reason, [])
