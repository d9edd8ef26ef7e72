"""The demo's headline figures on CDNOW, pinned: a change to any of them is a visible decision.

When a deliberate change moves them, update this file and the README's figures in the same commit.
"""

import hashlib
import json
from decimal import Decimal as D
from pathlib import Path

import lifetimes
import numpy as np
import pandas as pd


SUMMARY = [
    "records read       69,659",
    "accepted           69,659",
    "rejected           0",
    "customers          23,570",
    "transactions from  1997-01-01 to 1998-06-30",
    "CLV model          BG/NBD + Gamma-Gamma",
    "customer equity    $293,212 (12 months, as of 1998-06-30)",
]

# segment, customers, June revenue, June contribution, customer equity (the README's table)
SEGMENTS_JUNE_1998 = [
    ("core", 3_435, D("25220"), D("8899"), D("86118")),
    ("lapsed", 670, D("0"), D("-43"), D("873")),
    ("occasional", 18_320, D("5641"), D("962"), D("51058")),
    ("vip", 1_145, D("45248"), D("18358"), D("155164")),
]


def test_the_printed_summary(cdnow_demo):
    _, (first, _) = cdnow_demo
    assert first[:7] == SUMMARY


def _chosen(con, column: str, digits: int) -> dict:
    """A JSON column of the chosen final fits of the refit that scores the as-of date, by model, to `digits` significant digits."""
    rows = con.execute(f"select model, {column}::varchar from clv.model_runs where stage = 'final' and chosen "
                       "and period_end = '1998-06-30' order by model").fetchall()
    return {model: {k: float(f"{v:.{digits}g}") for k, v in json.loads(p).items()} for model, p in rows}


def test_the_chosen_models_and_their_parameters(cdnow_demo):
    con, _ = cdnow_demo
    assert _chosen(con, "parameters", 3) == {"gamma_gamma": {"p": 5.09, "q": 4.0, "v": 21.3},
                                             "bgnbd": {"r": 0.267, "alpha": 5.99, "a": 0.484, "b": 2.11}}


def test_segment_figures_and_equity(cdnow_demo):
    con, _ = cdnow_demo
    rows = con.execute("select segment, customers, round(revenue), round(contribution), round(customer_equity) "
                       "from profit.segment_profitability where period_start = '1998-06-01' order by segment").fetchall()
    assert rows == SEGMENTS_JUNE_1998
    equity = con.execute("select round(sum(clv)) from clv.customer_clv where period_end = '1998-06-30'").fetchone()[0]
    assert equity == D("293212")


def test_standard_errors_and_segment_equity_intervals(cdnow_demo):
    """The chosen fits' standard errors, and each segment's 80 % equity interval (the delta method: its equity ± 1.28
    standard errors, the gradient its customers' summed)."""
    con, _ = cdnow_demo
    assert _chosen(con, "parameter_standard_errors", 2) == {"gamma_gamma": {"p": 0.26, "q": 0.087, "v": 1.5},
                       "bgnbd": {"r": 0.0037, "alpha": 0.14, "a": 0.027, "b": 0.15}}
    rows = con.execute("select segment, round(customer_equity_low), round(customer_equity_high) from profit.segment_profitability "
                       "where period_start = '1998-06-01' order by segment").fetchall()
    assert rows == [("core", D("84884"), D("87352")), ("lapsed", D("826"), D("919")),
                    ("occasional", D("50231"), D("51879")), ("vip", D("153239"), D("157088"))]
    # clv.interval_dates latest: only the as-of date has intervals, from the 1998-06-30 refit that scored it
    assert con.execute("select distinct period_end::varchar, fitted_through::varchar from clv.customer_clv "
                       "where clv_low is not null").fetchall() == [("1998-06-30", "1998-06-30")]
    assert con.execute("select distinct period_end::varchar from profit.segment_profitability "
                       "where customer_equity_low is not null").fetchall() == [("1998-06-30",)]
    outside = con.execute("select count(*) from clv.customer_clv where not (clv between clv_low and clv_high) "
                          "or not (p_alive between p_alive_low - 1e-9 and p_alive_high + 1e-9)").fetchone()[0]
    assert outside == 0


def test_the_whale_curve_headline(cdnow_demo):
    con, _ = cdnow_demo
    row = con.execute("select round(share_for_all_profit, 3), round(peak_share, 2), round(unprofitable_share, 2), "
                      "round(unprofitable_cost) from profit.whale_curve_summary "
                      "where scope = 'all' and window_name = 'trailing_12_months'").fetchone()
    assert row == (0.176, 1.09, 0.66, D("33729"))


def test_the_chosen_bg_nbd_scores_every_cdnow_customer_as_lifetimes_does(cdnow_demo):
    """The demo's own choice, on the full CDNOW log: clv.customer_clv against lifetimes at the stored parameters."""
    con, _ = cdnow_demo
    params = dict(con.execute(
        "select model, parameters::varchar from clv.model_runs where stage = 'final' and chosen "
        "and period_end = '1998-06-30'").fetchall())  # the refit that scores the as-of date
    frame = con.sql(
        "select r.frequency, r.recency, r.t, r.monetary_value, c.p_alive, c.expected_purchases, "
        "c.expected_order_value::double as aov, c.discounted_purchases * c.gross_margin_per_order / (1 - c.cogs_rate) as spend "
        "from clv.customer_clv as c "
        "join clv.customer_rfm as r using (customer_id, period_end) where c.period_end = '1998-06-30'").pl()
    assert frame.height == 23_570
    bgnbd = lifetimes.BetaGeoFitter()
    bgnbd.params_ = pd.Series(json.loads(params["bgnbd"]))
    bgnbd.predict = bgnbd.conditional_expected_number_of_purchases_up_to_time
    gamma = lifetimes.GammaGammaFitter()
    gamma.params_ = pd.Series(json.loads(params["gamma_gamma"]))
    f, r, t, m = (pd.Series(frame[c].to_numpy().astype(float)) for c in ("frequency", "recency", "t", "monetary_value"))
    np.testing.assert_allclose(frame["p_alive"].to_numpy(), bgnbd.conditional_probability_alive(f, r, t), rtol=1e-12)
    np.testing.assert_allclose(frame["expected_purchases"].to_numpy(),
                               bgnbd.conditional_expected_number_of_purchases_up_to_time(12 * 4.345, f, r, t), rtol=1e-10)
    # money is stored to the cent
    aov = gamma.conditional_expected_average_profit(f, m.clip(lower=0))
    np.testing.assert_allclose(frame["aov"].to_numpy(), aov, atol=0.005 + 1e-9)
    # lifetimes' CLV is the discounted expected spend: CLV in profit terms values it with the cost model (docs/clv.md;
    # the stored components are held to the formula by the customer_clv check)
    expected = gamma.customer_lifetime_value(bgnbd, f, r, t, m.clip(lower=0), time=12, discount_rate=1.1 ** (1 / 12) - 1, freq="W")
    np.testing.assert_allclose(frame["spend"].to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_meta_runs_names_the_config_and_the_data_window(cdnow_demo):
    con, _ = cdnow_demo
    file, digest, first, last, as_of = con.execute(
        "select config_file, config_hash, first_transaction::varchar, last_transaction::varchar, as_of_date::varchar "
        "from meta.runs order by finished_at desc limit 1").fetchone()
    assert digest == hashlib.sha256(Path(file).read_bytes()).hexdigest()
    assert (first, last, as_of) == ("1997-01-01", "1998-06-30", "1998-06-30")


def test_june_1998_is_kept_as_published_and_the_index_links_it(cdnow_demo):
    """The demo's data ends on the last day of June 1998, so its scorecards keep that month's pages beside the latest
    ones, and the index links them (pipelines/site/archive.py)."""
    _, (first, _) = cdnow_demo
    site = Path(first[-1].split(maxsplit=1)[1]).parent
    assert [p.name for p in (site / "periods").iterdir()] == ["1998-06"]
    kept = (site / "periods" / "1998-06" / "segment-vip.html").read_text(encoding="utf-8")
    assert "<strong>Kept as published.</strong> The scorecards of Jun 1998 as published on" in kept
    assert 'Months as published: <a href="periods/1998-06/index.html">Jun 1998</a>' in (site / "index.html").read_text(encoding="utf-8")
