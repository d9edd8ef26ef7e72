"""Tiny data: a candidate that does not converge is recorded with why and left out, and the run goes on."""

import duckdb
import numpy as np
import polars as pl
import pytest

from models import clv as clv_models
from pipelines import cli

ORDERS = """customer_id,order_id,order_date,amount
A,a1,2024-01-01,10
A,a2,2024-01-10,12
A,a3,2024-03-01,11
B,b1,2024-01-05,20
C,c1,2024-02-01,5
C,c2,2024-05-01,6
D,d1,2024-03-03,7
E,e1,2024-04-01,9
E,e2,2024-04-02,9
F,f1,2024-06-20,3
"""


def test_a_candidate_that_does_not_converge_is_recorded_and_the_run_goes_on(tmp_path):
    (tmp_path / "t.csv").write_text(ORDERS)
    config = tmp_path / "c.yaml"
    config.write_text("""
warehouse: {path: w/w.duckdb}
sources:
  - {name: shop, path: t.csv, format: csv,
     columns: {customer_id: customer_id, order_id: order_id, order_date: order_date, amount: amount}}
clv: {min_repeat_customers: 1, min_calibration_days: 1}
""")
    assert cli.main(["run", "--config", str(config)]) == 0
    with duckdb.connect(str(tmp_path / "w" / "w.duckdb"), read_only=True) as con:
        runs = con.execute("select model, stage, converged, chosen, note from clv.model_runs "
                           "where period_end = (select max(period_end) from clv.model_runs)").fetchall()  # the last refit
        scored = con.execute("select count(*), count(*) filter (where isfinite(clv)) from clv.customer_clv "
                             "where period_end = '2024-06-20'").fetchone()
    failed = [(model, stage, chosen, note) for model, stage, converged, chosen, note in runs if not converged]
    assert ("mbgnbd", "calibration", False) in [f[:3] for f in failed]  # MBG/NBD does not converge on six customers
    assert all(not chosen and note for _, _, chosen, note in failed)  # recorded with why, never chosen
    chosen_purchase = [model for model, stage, converged, chosen, _ in runs
                       if chosen and stage == "final" and model in ("bgnbd", "paretonbd", "mbgnbd")]
    assert len(chosen_purchase) == 1 and chosen_purchase[0] != "mbgnbd"
    assert scored == (6, 6)  # F, who first bought on the as-of day (t = 0), is scored too


def test_pareto_nbd_scores_a_customer_of_age_zero_as_the_limit_of_a_new_customer():
    # the fit on the orders above: large, tightly estimated parameters
    fit = clv_models.Fit("paretonbd", {"r": 108.075, "alpha": 1625.30, "s": 54.666, "beta": 1003.56}, 0.0, True, 1, 1, 0.0)
    rfm = pl.DataFrame({"customer_id": ["new", "day_old"], "frequency": [0, 0], "recency": [0.0, 0.0],
                        "t": [0.0, 1e-3], "monetary_value": [0.0, 0.0]})
    scored = clv_models.score(fit, None, rfm, "weeks", fallback_order_value=10.0)
    assert scored["p_alive"][0] == pytest.approx(1.0, abs=1e-6)
    assert np.allclose(scored["expected_purchases"][0], scored["expected_purchases"][1], rtol=1e-3)
    assert scored["expected_purchases"][0] > 0
