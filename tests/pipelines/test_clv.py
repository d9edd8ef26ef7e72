"""The CLV layer end to end on CDNOW, and its failure modes through the CLI."""

import json

import duckdb
import lifetimes
import pytest
from lifetimes.utils import ConvergenceError

from models import clv as clv_models
from models import synthetic
from models.clv import purchase, selection
from pipelines import cli


def test_the_demo_prints_the_same_summary_twice(cdnow_demo):
    _, (first, second) = cdnow_demo
    # the same warehouse; the second run read no source file (incremental ingest)
    assert [line for line in first if line.startswith("source files")] == ["source files       1 read, 0 unchanged"]
    assert [line for line in second if line.startswith("source files")] == ["source files       0 read, 1 unchanged"]
    # and computed no period: every one was published closed with the same inputs (docs/history.md)
    assert "periods computed   18 of 18" in first and "periods computed   0 of 18" in second
    assert [line for line in first if not line.startswith(("source files", "periods computed"))] == [
        line for line in second if not line.startswith(("source files", "periods computed"))]
    assert first[:4] == ["records read       69,659", "accepted           69,659", "rejected           0", "customers          23,570"]
    assert first[5].startswith("CLV model          ") and first[6].startswith("customer equity    $")


def test_every_customer_is_scored_once(cdnow_demo):
    cdnow_demo, _ = cdnow_demo
    rows, customers, as_of = cdnow_demo.execute(
        "select count(*), count(distinct customer_id), any_value(period_end)::varchar from clv.customer_clv "
        "where period_end = '1998-06-30'").fetchall()[0]
    assert rows == customers == 23_570 and as_of == "1998-06-30"
    # History: one scoring per month end, each customer from the month of their first purchase on.
    per_date = dict(cdnow_demo.execute("select period_end::varchar, count(*) from clv.customer_clv group by 1").fetchall())
    assert len(per_date) == 18 and per_date["1997-01-31"] == 7_846 and per_date["1997-03-31"] == 23_570
    assert cdnow_demo.execute("select count(*) from clv.customer_rfm").fetchall()[0][0] == sum(per_date.values())


def test_model_runs_hold_every_model_and_baseline_at_every_origin_and_one_choice(cdnow_demo):
    cdnow_demo, _ = cdnow_demo
    latest = "(select max_by(run_id, fitted_at) from clv.model_runs)"
    rows = cdnow_demo.execute(
        f"select stage, model, chosen, converged, parameters::varchar, forecast_origin, selection_rank, holdout_log_likelihood, bic "
        f"from clv.model_runs where run_id = {latest} and period_end = '1998-06-30'").fetchall()
    # one run fitted: the second computed no period, so it needed no refit
    assert cdnow_demo.execute("select count(distinct run_id) from clv.model_runs").fetchall()[0][0] == 1
    refits = cdnow_demo.execute("select distinct period_end::varchar from clv.model_runs order by 1").fetchall()
    assert [d for (d,) in refits] == ["1997-01-31", "1997-02-28", "1997-03-31", "1997-06-30", "1997-09-30", "1997-12-31",
                                      "1998-03-31", "1998-06-30"]  # the first months, then every quarter end
    calibration = {(m, o) for s, m, c, conv, p, o, *_ in rows if s == "calibration" and m != "gamma_gamma"}
    assert calibration == {(m, o) for m in ("bgnbd", "paretonbd", "mbgnbd", "zero_forecast", "calibration_rate") for o in (0, 1, 2)}
    chosen_purchase = [m for s, m, c, *_ in rows if s == "final" and c and m != "gamma_gamma"]
    assert len(chosen_purchase) == 1
    # auto chooses the best-ranked model; ranks follow the holdout log-likelihood summed over the origins (no ties on CDNOW)
    ranks = {m: rank for s, m, c, conv, p, o, rank, *_ in rows if s == "calibration" and rank is not None}
    assert ranks[chosen_purchase[0]] == 1 and ranks["calibration_rate"] == 4 and ranks["zero_forecast"] == 5
    totals = {}
    for s, m, c, conv, p, o, rank, ll, bic in rows:
        if s == "calibration" and m in ("bgnbd", "paretonbd", "mbgnbd"):
            totals[m] = totals.get(m, 0.0) + ll
    assert sorted(totals, key=totals.get, reverse=True) == sorted(totals, key=ranks.get)
    for s, m, c, converged, params, *_ in rows:
        assert converged and all(v >= 0 for v in json.loads(params).values())


def test_scores_are_in_range_and_tiers_follow_the_pyramid(cdnow_demo):
    cdnow_demo, _ = cdnow_demo
    low, high, min_clv, marketing = cdnow_demo.execute(
        "select min(p_alive), max(p_alive), min(clv), max(expected_marketing_cost) from clv.customer_clv").fetchall()[0]
    # in profit terms a customer costs at most the marketing they get: $0.30 a month, discounted, for 12 months
    assert 0 <= low <= high <= 1 and -3.6 < -marketing <= min_clv < 0
    tiers = dict(cdnow_demo.execute(
        "select value_tier, count(*) from clv.customer_clv where period_end = '1998-06-30' group by 1").fetchall())
    active = sum(v for k, v in tiers.items() if k != "inactive")
    assert tiers["platinum"] == pytest.approx(0.01 * active, abs=1)
    assert tiers["gold"] == pytest.approx(0.04 * active, abs=1)
    assert tiers["silver"] == pytest.approx(0.15 * active, abs=1)
    best = cdnow_demo.execute(
        "select value_tier from clv.customer_clv where period_end = '1998-06-30' order by clv desc limit 1").fetchall()[0][0]
    assert best == "platinum"


def test_calibration_window_is_recorded(cdnow_demo):
    cdnow_demo, _ = cdnow_demo
    windows = cdnow_demo.execute(
        "select distinct calibration_start::varchar, calibration_end::varchar, holdout_end::varchar "
        "from clv.model_runs where stage = 'calibration' and forecast_origin = 0 and period_end = '1998-06-30'").fetchall()
    assert windows == [("1997-01-01", "1997-09-30", "1998-06-30")]
    earlier = cdnow_demo.execute(
        "select distinct forecast_origin, calibration_end::varchar, holdout_end::varchar "
        "from clv.model_runs where stage = 'calibration' and forecast_origin > 0 and period_end = '1998-06-30' order by 1").fetchall()
    assert earlier == [(1, "1997-07-24", "1998-04-23"), (2, "1997-05-17", "1998-02-14")]  # 39-week holdouts


def test_one_time_buyers_only_fail_with_a_clear_message(write_config, csv_source, capsys):
    lines = [f"{i},o{i},2024-01-{1 + i % 28:02d},{10 + i}" for i in range(1, 60)]
    path = write_config([csv_source(lines)])
    assert cli.main(["run", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "clv_model: refit on 2024-01-28: " in err
    assert "cannot fit BG/NBD: no customer has a repeat purchase; at least 10 are needed" in err
    assert "Traceback" not in err


@pytest.mark.slow  # a whole pipeline run or more on generated data: kept out of the 10-minute fast suite
def test_fixed_model_is_used(write_config, tmp_path):
    synthetic.generate(customers=3_000, seed=5, out_dir=tmp_path / "data")
    source = {"name": "syn", "path": "data/transactions/*.parquet", "format": "parquet",
              "columns": {"customer_id": "customer_id", "order_id": "order_id", "order_date": "order_ts", "amount": "amount"}}
    path = write_config([source], clv={"model": "mbgnbd", "candidates": ["bgnbd", "mbgnbd"]})
    assert cli.main(["run", "--config", str(path)]) == 0
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        models = con.execute("select distinct purchase_model from clv.customer_clv").fetchall()
        calibration = con.execute("select distinct model from clv.model_runs where stage = 'calibration' and forecast_origin = 0 "
                                  "order by 1").fetchall()
    assert models == [("mbgnbd",)]
    assert calibration == [("bgnbd",), ("calibration_rate",), ("gamma_gamma",), ("mbgnbd",), ("zero_forecast",)]


class _NotConverging(lifetimes.ModifiedBetaGeoFitter):
    def fit(self, *args, **kwargs):
        raise ConvergenceError("The model did not converge. Try adding a larger penalizer to see if that helps convergence.")


def test_a_final_fit_that_does_not_converge_stops_the_run(write_config, csv_source, capsys, monkeypatch):
    """The final MBG/NBD fit (on all data up to a refit date) fails as lifetimes fails. Whether it converges on a data
    set this small depends on the machine's floating-point kernels, so lifetimes' fitter is made to fail there."""
    finals = []
    select, fit = clv_models.select_models, purchase.fit_purchase_model

    def remembering(calibration, final, **kwargs):
        finals.append(final)
        return select(calibration, final, **kwargs)

    def final_fails(model, rfm, *args):
        with monkeypatch.context() as patch:
            if any(rfm is final for final in finals):
                patch.setitem(purchase.FITTERS, "mbgnbd", _NotConverging)
            return fit(model, rfm, *args)

    monkeypatch.setattr(clv_models, "select_models", remembering)
    monkeypatch.setattr(selection, "fit_purchase_model", final_fails)
    lines = [f"{c},o{c}_{d},2024-{1 + (c * d) % 12:02d}-{1 + (c + d) % 28:02d},{5 + c % 7 + d}" for c in range(1, 80) for d in range(1 + c % 4)]
    path = write_config([csv_source(lines)], as_of_date="2024-12-31", clv={"model": "mbgnbd"})
    assert cli.main(["run", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "clv_model: refit on 2024-" in err and ": MBG/NBD on all data up to 2024-" in err and "did not converge" in err
    assert "Traceback" not in err
