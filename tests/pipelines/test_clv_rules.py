"""The CLV rules docs/clv.md states, through a run: a failed candidate is not chosen, the Gamma-Gamma
fallback is recorded in clv.model_runs and used, and a frequency-monetary correlation above 0.3 is flagged."""

import duckdb
import lifetimes
import pytest

from models.clv import selection
from pipelines import cli, config
from pipelines.warehouse import calendar, clv_tables


def _lines(repeat_amount) -> list[str]:
    """60 customers, 1 to 5 weekly repeat purchases after a first purchase of 20.00; repeats cost repeat_amount(k)."""
    lines = []
    for c in range(60):
        repeats = 1 + c % 5
        lines.append(f"c{c},c{c}-0,2024-01-{1 + c % 20:02d},20.00")
        lines += [f"c{c},c{c}-{k},2024-{2 + k:02d}-{1 + c % 20:02d},{repeat_amount(repeats):.2f}" for k in range(1, repeats + 1)]
    return lines


def _runs(path) -> list[tuple]:
    with duckdb.connect(str(path.parent / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select stage, model, converged, chosen, note from clv.model_runs order by stage, model").fetchall()


def test_a_candidate_that_fails_in_calibration_is_recorded_and_not_chosen(write_config, csv_source, monkeypatch):
    def no_convergence(self, *args, **kwargs):
        raise lifetimes.utils.ConvergenceError("The model did not converge.")

    monkeypatch.setattr(lifetimes.ModifiedBetaGeoFitter, "fit", no_convergence)
    path = write_config([csv_source(_lines(lambda k: 15.0 + k))], as_of_date="2024-12-31",
                        clv={"model": "auto", "candidates": ["mbgnbd", "bgnbd"], "min_calibration_days": 1})
    assert cli.main(["run", "--config", str(path), "--select", "*clv_model"]) == 0
    runs = _runs(path)
    assert ("calibration", "mbgnbd", False, False, "did not converge: The model did not converge.") in runs
    assert {(s, m) for s, m, _, chosen, _ in runs if chosen and m in ("bgnbd", "mbgnbd")} == {("final", "bgnbd")}  # at every refit


def test_without_repeat_spend_every_customer_gets_the_mean_purchase_day_value(write_config, csv_source):
    path = write_config([csv_source(_lines(lambda k: 0.0))], as_of_date="2024-12-31", clv={"model": "bgnbd", "candidates": ["bgnbd"]})
    assert cli.main(["run", "--config", str(path), "--select", "*customer_clv"]) == 0
    final = {m: (converged, chosen, note) for s, m, converged, chosen, note in _runs(path) if s == "final"}
    assert final["gamma_gamma"][:2] == (False, False)
    assert final["gamma_gamma"][2].startswith("cannot fit Gamma-Gamma: only 0 customers have repeat purchases with positive spend")
    assert final["empirical_mean"][:2] == (True, True)
    with duckdb.connect(str(path.parent / "warehouse.duckdb"), read_only=True) as con:
        parameters = con.execute("select parameters->>'mean' from clv.model_runs where model = 'empirical_mean'").fetchone()[0]
        scored = con.execute("select distinct spend_model, expected_order_value::varchar from clv.customer_clv").fetchall()
    assert float(parameters) == pytest.approx(20.0)  # purchase days with a positive value: the first ones, 20.00 each
    assert scored == [("empirical_mean", "20.00")]


@pytest.mark.parametrize(("repeat_amount", "flagged"), [(lambda k: 10.0 * k, True), (lambda k: 30.0 - (k % 2) * 0.5, False)])
def test_a_frequency_monetary_correlation_above_0_3_is_flagged(write_config, csv_source, repeat_amount, flagged):
    path = write_config([csv_source(_lines(repeat_amount))], as_of_date="2024-12-31",
                        clv={"model": "bgnbd", "candidates": ["bgnbd"], "min_calibration_days": 1})
    assert cli.main(["run", "--config", str(path), "--select", "*customer_rfm"]) == 0
    cfg = config.load(path)
    with duckdb.connect(str(path.parent / "warehouse.duckdb")) as con:
        w = calendar.read(con, cfg).windows(cfg)
        result = clv_tables.fit_models(con, cfg, "r", w, clv_tables.statistics(con, cfg, w))
        correlation = con.execute("select frequency_monetary_correlation from clv.model_runs "
                                  "where stage = 'final' and model = 'gamma_gamma'").fetchone()[0]
    assert (correlation > 0.3) == flagged
    warnings = [w for w in result.warnings if w.startswith("frequency and monetary value correlate at")]
    assert warnings == ([f"frequency and monetary value correlate at {correlation:.2f}: "
                         "the Gamma-Gamma independence assumption is doubtful"] if flagged else [])


@pytest.mark.parametrize(("correlation", "flagged"), [(0.31, True), (-0.31, True), (0.29, False)])
def test_the_flag_is_at_0_3_either_way(write_config, csv_source, monkeypatch, correlation, flagged):
    monkeypatch.setattr(selection, "frequency_monetary_correlation", lambda rfm: correlation)
    path = write_config([csv_source(_lines(lambda k: 15.0 + k))], as_of_date="2024-12-31",
                        clv={"model": "bgnbd", "candidates": ["bgnbd"], "min_calibration_days": 1})
    assert cli.main(["run", "--config", str(path), "--select", "*customer_rfm"]) == 0
    cfg = config.load(path)
    with duckdb.connect(str(path.parent / "warehouse.duckdb")) as con:
        w = calendar.read(con, cfg).windows(cfg)
        warnings = clv_tables.fit_models(con, cfg, "r", w, clv_tables.statistics(con, cfg, w)).warnings
    assert any(w.startswith(f"frequency and monetary value correlate at {correlation:.2f}") for w in warnings) == flagged


def test_validate_checks_the_windows_against_the_data_of_the_last_run(write_config, csv_source, capsys):
    """Purchases from 2024-01-01 to 2024-07-20, as of 2024-12-31: the holdout must end by 2024-07-20."""
    source = csv_source(_lines(lambda k: 15.0 + k))
    path = write_config([source], as_of_date="2024-12-31", clv={"model": "bgnbd", "candidates": ["bgnbd"]})
    assert cli.main(["validate", "--config", str(path)]) == 0  # no warehouse yet: nothing to check against
    assert cli.main(["run", "--config", str(path), "--select", "*clv_model"]) == 0
    capsys.readouterr()
    write_config([source], as_of_date="2024-12-31", clv={"model": "bgnbd", "candidates": ["bgnbd"], "min_holdout_days": 365})
    assert cli.main(["validate", "--config", str(path)]) == 0
    assert capsys.readouterr().err.startswith("warning: clv: the holdout 2024-04-10 to 2024-07-20 is 101 days, shorter than "
                                              "clv.min_holdout_days (365)")
    write_config([source], as_of_date="2024-12-31", clv={"model": "bgnbd", "candidates": ["bgnbd"], "holdout_end": "2024-09-30"})
    assert cli.main(["validate", "--config", str(path)]) == 1
    assert "clv: holdout_end 2024-09-30 is beyond the data, which ends on 2024-07-20" in capsys.readouterr().err
    assert cli.main(["run", "--config", str(path), "--select", "*clv_model"]) == 1
    assert "clv: holdout_end 2024-09-30 is beyond the data, which ends on 2024-07-20" in capsys.readouterr().err
