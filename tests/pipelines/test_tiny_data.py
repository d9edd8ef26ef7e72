"""Tiny data: a candidate whose backtest breaks is recorded and left out, and the run goes on."""

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


def test_a_candidate_that_fails_its_backtest_is_recorded_and_the_run_goes_on(tmp_path):
    (tmp_path / "t.csv").write_text(ORDERS)
    config = tmp_path / "c.yaml"
    config.write_text("""
warehouse: {path: w/w.duckdb}
sources:
  - {name: shop, path: t.csv, format: csv,
     columns: {customer_id: customer_id, order_id: order_id, order_date: order_date, amount: amount}}
clv: {min_repeat_customers: 1}
""")
    assert cli.main(["run", "--config", str(config)]) == 0
    with duckdb.connect(str(tmp_path / "w" / "w.duckdb"), read_only=True) as con:
        runs = {(m, s): (conv, chosen, note) for m, s, conv, chosen, note in con.execute(
            "select model, stage, converged, chosen, note from clv.model_runs").fetchall()}
        scored = con.execute("select count(*), count(*) filter (where isfinite(clv)) from clv.customer_clv "
                             "where as_of_date = '2024-06-20'").fetchone()
    # BG/NBD wins the holdout but does not converge on all the data: the next best scores the customers
    assert runs[("bgnbd", "final")][:2] == (False, False) and runs[("bgnbd", "final")][2].startswith("did not converge")
    assert runs[("paretonbd", "final")][:2] == (True, True)
    assert "BG/NBD on all data up to 2024-06-20 not chosen" in runs[("paretonbd", "final")][2]
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
