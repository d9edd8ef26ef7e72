"""Fits by group in the pipeline (config clv.fit_by, docs/clv.md): two channels whose customers buy and drop out at
their own rates are fitted apart at every refit with enough data, each customer is scored with their channel's fits,
and clv.model_runs records the comparison that decided it."""

from __future__ import annotations

import contextlib
import io
import json

import duckdb
import polars as pl
import pytest
import yaml

from models import synthetic
from pipelines import cli
from pipelines.config import load
from pipelines.warehouse import clv_tables

# Frequent buyers who rarely drop out, and occasional ones who soon do (per week).
LOYAL = synthetic.Parameters(r=1.5, alpha=4.0, a=0.3, b=6.0)
FICKLE = synthetic.Parameters(r=0.4, alpha=10.0, a=1.2, b=2.0)
SOURCE = {"name": "syn", "path": "data/*.parquet", "format": "parquet",
          "columns": {"customer_id": "customer_id", "order_id": "order_id", "order_date": "order_ts", "amount": "amount",
                      "channel": "channel"}}


def _two_channels(tmp_path, customers: int = 1_500) -> None:
    """One population per channel, every line of a customer in their channel."""
    (tmp_path / "data").mkdir()
    for seed, (channel, params) in enumerate((("store", LOYAL), ("web", FICKLE))):
        synthetic.generate(customers=customers, seed=seed, out_dir=tmp_path / channel, years=2.0, params=params)
        lines = pl.read_parquet(tmp_path / channel / "transactions" / "*.parquet")
        lines.with_columns(customer_id=pl.lit(f"{channel}-") + pl.col("customer_id"),
                           order_id=pl.lit(f"{channel}-") + pl.col("order_id"),
                           channel=pl.lit(channel)).write_parquet(tmp_path / "data" / f"{channel}.parquet")


@pytest.mark.slow  # a whole run with fits by group at every refit: about 30 seconds
def test_channels_with_their_own_buying_are_fitted_and_scored_apart(tmp_path):
    _two_channels(tmp_path)
    path = tmp_path / "segprof.yaml"
    path.write_text(yaml.safe_dump({"warehouse": {"path": "w.duckdb"}, "sources": [SOURCE],
                                    "clv": {"model": "bgnbd", "candidates": ["bgnbd"], "fit_by": "acquisition_channel"}}))
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["run", "--config", str(path)]) == 0
    config = load(path)
    page = (tmp_path / "scorecards" / "model.html").read_text()
    assert '<tr data-model="by_group" class="chosen">\n    <td>one fit per group <span class="status green">✓ scores customers' in page
    assert all(f"<tr><td>{channel}</td><td class=\"num\">1," in page for channel in ("store", "web"))
    assert "the customers of the groups below are\nscored by their own group's fits" in page
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        as_of, refit, run_id = con.execute("select period_end, any_value(fitted_through), any_value(run_id) from clv.customer_clv "
                                           "group by 1 order by 1 desc limit 1").fetchone()
        # the comparison at every forecast origin of the latest refit: by group forecasts the holdout better
        comparison = con.execute("select forecast_origin, model, chosen, selection_rank, holdout_log_likelihood, n_parameters "
                                 "from clv.model_runs where stage = 'group_comparison' and period_end = ? and run_id = ? "
                                 "order by 1, 2", [refit, run_id]).fetchall()
        assert {(o, m) for o, m, *_ in comparison} == {(o, m) for o in range(3) for m in ("by_group", "pooled")}
        assert all(chosen == (model == "by_group") and rank == (1 if chosen else 2) for _, model, chosen, rank, *_ in comparison)
        ll = {(o, m): value for o, m, _, _, value, _ in comparison}
        assert sum(ll[o, "by_group"] for o in range(3)) > sum(ll[o, "pooled"] for o in range(3)) + 100
        assert {m: k for _, m, _, _, _, k in comparison} == {"by_group": 8, "pooled": 4}
        # each channel's own fits: the fickle channel drops out far more often
        fits = clv_tables.DateFits.read(con, refit, run_id)
        dropout = {group: purchase.params["a"] / (purchase.params["a"] + purchase.params["b"])
                   for group, (purchase, _) in fits.groups.items()}
        assert set(dropout) == {"store", "web"} and dropout["web"] > 3 * dropout["store"]
        assert all(spend is not None and spend.covariance is not None for _, spend in fits.groups.values())
        # every customer is scored by their channel's fits, to the cent, and has an interval from them
        stored = pl.from_arrow(con.sql(f"select customer_id, fit_group, clv::double as stored, clv_low from clv.customer_clv "
                                       f"where period_end = '{as_of}'").to_arrow_table())
        assert (stored["fit_group"] == stored["customer_id"].str.split("-").list.first()).all()
        assert stored["clv_low"].null_count() == 0
        customers = clv_tables.customers_at(con, config, as_of)
        for group, (purchase, spend) in fits.groups.items():
            rows = customers.filter(pl.col("customer_id").str.starts_with(group))
            expected = clv_tables._score(config, purchase, spend, fits.fallback, rows).join(stored, on="customer_id")
            assert expected.height == rows.height
            assert (expected["clv"] - expected["stored"]).abs().max() <= 0.005 + 1e-9
        # segment equity intervals come from the fits that scored each customer: by the delta method centred on the
        # equity those fits give (the stored CLVs, rounded to the cent each)
        segments = con.execute("select customers, customer_equity::double, customer_equity_low::double, customer_equity_high::double "
                               "from profit.segment_profitability where period_end = ? and customers > 0", [as_of]).fetchall()
        assert segments and all(low < equity < high and abs((low + high) / 2 - equity) <= 0.005 * n + 0.01
                                for n, equity, low, high in segments), segments
        # the pooled fit is recorded, and would have valued the channels differently
        pooled = clv_tables._score(config, fits.purchase, fits.spend, fits.fallback, customers).join(stored, on="customer_id")
        assert (pooled["clv"] - pooled["stored"]).abs().max() > 1.0
        groups = json.loads(con.execute("select count(*) filter (where fit_group is null)::varchar from clv.model_runs "
                                        "where stage = 'final' and chosen and period_end = ? and run_id = ?", [refit, run_id]).fetchone()[0])
        assert groups == 2  # the pooled purchase and spend fits still score a customer of a channel seen after the refit
