"""The seeded synthetic generator: deterministic, complete fields, stated parameters."""

import json
from dataclasses import asdict

import numpy as np
import polars as pl
import pytest

from models import synthetic


def _read(out):
    return pl.read_parquet(out / "transactions" / "*.parquet")


def test_same_seed_same_data_different_seed_different_data(tmp_path):
    a = synthetic.generate(customers=3_000, seed=7, out_dir=tmp_path / "a")
    b = synthetic.generate(customers=3_000, seed=7, out_dir=tmp_path / "b")
    synthetic.generate(customers=3_000, seed=8, out_dir=tmp_path / "c")
    assert a["transactions"] == b["transactions"]
    assert _read(tmp_path / "a").equals(_read(tmp_path / "b"))
    assert not _read(tmp_path / "a").equals(_read(tmp_path / "c"))
    assert pl.read_parquet(tmp_path / "a" / "customers.parquet").equals(pl.read_parquet(tmp_path / "b" / "customers.parquet"))


def test_fields_and_invariants(tmp_path):
    info = synthetic.generate(customers=5_000, seed=1, out_dir=tmp_path, years=2)
    tx = _read(tmp_path)
    assert tx.columns == ["order_id", "customer_id", "order_ts", "amount", "quantity", "channel", "region", "category", "unit_cost"]
    assert tx.height == info["transactions"]
    assert tx["order_id"].n_unique() == tx.height
    assert tx["customer_id"].n_unique() == 5_000  # everyone has a first purchase
    assert set(tx["channel"].unique()) == set(synthetic.CHANNELS)
    assert set(tx["category"].unique()) == set(synthetic.CATEGORIES)
    sales, returns = tx.filter(pl.col("amount") > 0), tx.filter(pl.col("amount") < 0)
    assert 0.015 < returns.height / sales.height < 0.045
    assert (returns["quantity"] == -1).all() and (sales["quantity"] >= 1).all()
    assert (tx["unit_cost"] > 0).all()
    assert str(tx["order_ts"].min().date()) >= info["history_start"]
    assert str(tx["order_ts"].max().date()) <= info["history_end"]
    params = json.loads((tmp_path / "parameters.json").read_text())
    assert params["parameters"]["r"] == synthetic.Parameters().r and params["seed"] == 1
    attrs = pl.read_parquet(tmp_path / "customers.parquet")
    assert attrs.height == 5_000 and set(attrs.columns) >= {"customer_id", "home_region", "signup_channel"}


def test_rerun_replaces_old_parts(tmp_path):
    synthetic.generate(customers=synthetic.CHUNK_CUSTOMERS + 10, seed=1, out_dir=tmp_path)
    assert len(list((tmp_path / "transactions").glob("*.parquet"))) == 2
    synthetic.generate(customers=10, seed=1, out_dir=tmp_path)
    assert len(list((tmp_path / "transactions").glob("*.parquet"))) == 1


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "paretonbd"])
def test_mean_purchases_follow_the_parameters(tmp_path, model):
    """Without dropout the mean repeat count is r/alpha * age; dropout can only lower it."""
    params = synthetic.Parameters(model=model)
    rng = np.random.default_rng(0)
    age = np.full(200_000, 52.0)
    times, owner = synthetic.repeat_purchases(rng, model, asdict(params), age)
    mean = len(owner) / len(age)
    assert 0 < mean < params.r / params.alpha * 52
    assert (times >= 0).all() and (times <= 52).all()
    if model == "mbgnbd":
        bg_times, bg_owner = synthetic.repeat_purchases(np.random.default_rng(0), "bgnbd", asdict(params), age)
        assert len(owner) < len(bg_owner)
