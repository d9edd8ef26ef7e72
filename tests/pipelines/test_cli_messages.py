"""What `segprof` says when something is wrong, and what a run prints: one line per problem, no tracebacks, no noise."""

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipelines import cli
from pipelines.errors import ConfigError
from tests.conftest import REPO

BIN = Path(sys.executable).parent
SOURCE = "sources:\n  - {name: a, path: a.csv, format: csv, columns: {customer_id: a, order_id: b, order_date: c, amount: d}}\n"


def _validate(tmp_path, text: str, capsys) -> str:
    (tmp_path / "a.csv").write_text("a,b,c,d\n1,x,2024-01-01,5\n")
    path = tmp_path / "segprof.yaml"
    path.write_text(textwrap.dedent(text))
    assert cli.main(["validate", "--config", str(path)]) == 1
    return capsys.readouterr().err


def test_the_problem_count_counts_problems_not_lines(monkeypatch, capsys):
    def fails(args):
        raise ConfigError("first problem\nwith a second line", "second problem")

    monkeypatch.setattr(cli, "cmd_validate", fails)
    assert cli.main(["validate"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "segprof validate: 2 problems:", "  first problem", "    with a second line", "  second problem"]


def test_one_problem_over_two_lines_is_one_problem(monkeypatch, capsys):
    monkeypatch.setattr(cli, "cmd_validate", lambda args: (_ for _ in ()).throw(ConfigError("what\nhow to fix it")))
    assert cli.main(["validate"]) == 1
    assert capsys.readouterr().err.splitlines() == ["segprof validate: what", "  how to fix it"]


def test_a_yaml_syntax_error_names_file_line_and_column_in_one_line(tmp_path, capsys):
    err = _validate(tmp_path, 'warehouse: {path: w.duckdb}\nsources:\n  - name: a\n    path: "a.csv\n    format: csv\n', capsys)
    assert err.count("\n") == 1
    assert "segprof.yaml, line 6, column 1: not valid YAML: found unexpected end of stream" in err
    assert "started at line 4, column 11" in err and "<unicode string>" not in err


def test_validator_messages_have_no_pydantic_prefix(tmp_path, capsys):
    err = _validate(tmp_path, "warehouse: {path: w.duckdb}\n" + SOURCE
                    + "segments:\n  - {name: a, catch_all: true}\n  - {name: a, catch_all: true}\n", capsys)
    assert err == f"segprof validate: {tmp_path / 'segprof.yaml'}: (top level): segment names must be unique\n"


def test_unknown_keys_suggest_the_closest_known_one(tmp_path, capsys):
    err = _validate(tmp_path, "warehouse: {path: w.duckdb, pathh: x}\nsourcs: []\n" + SOURCE
                    + "segments:\n  - {name: a, catch_al: true}\n", capsys)
    assert err.startswith("segprof validate: 3 problems:\n")
    assert "warehouse.pathh: unknown key; did you mean 'path'?" in err
    assert "sourcs: unknown key; did you mean 'sources'?" in err
    assert "segments[0].catch_al: unknown key; did you mean 'catch_all'?" in err


def test_generate_zero_customers_is_a_usage_error_not_a_traceback(tmp_path):
    done = subprocess.run([str(BIN / "segprof"), "generate", "--customers", "0", "--out", str(tmp_path / "d")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == "segprof generate: error: argument --customers: must be at least 1, got 0"
    assert "Traceback" not in done.stderr and not (tmp_path / "d").exists()


def test_validating_the_synthetic_config_before_its_data_exists_says_how_to_create_it(tmp_path, capsys):
    (tmp_path / "configs").mkdir()
    shutil.copy(REPO / "configs" / "synthetic.yaml", tmp_path / "configs" / "synthetic.yaml")
    assert cli.main(["validate", "--config", str(tmp_path / "configs" / "synthetic.yaml")]) == 1
    first, hint = capsys.readouterr().err.splitlines()
    assert first.endswith("source 'synthetic' (sources[0].path): no file matches this pattern")
    assert "`make synthetic`" in hint and "segprof generate --customers 100000 --out " in hint


@pytest.mark.slow  # a whole run each: with the slow suite, which CI runs too, so that make test stays under 10 minutes
def test_a_run_is_quiet_and_a_partial_run_reports_only_what_ran(small, capsys):
    done = subprocess.run([str(BIN / "segprof"), "run", "--config", str(small)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no deprecation warnings, telemetry or progress bars
    assert "CLV model" in done.stdout and "scorecards" in done.stdout
    assert cli.main(["run", "--config", str(small), "--select", "customers"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("materialised: customers\n") and "customers  " in out
    assert "CLV model" not in out and "customer equity" not in out and "published for BI" not in out and "scorecards" not in out
    assert cli.main(["run", "--config", str(small), "--restate", "2099-01"]) == 1  # past the data: said, not silently nothing
    assert "--restate from 2099-01-01: no period of the data falls in it (the periods run from " in capsys.readouterr().err


def test_a_restate_range_that_ends_before_it_starts_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["run", "--restate", "1998-04:1998-03"])
    assert stopped.value.code == 2
    assert "argument --restate: '1998-04:1998-03': TO (1998-03) comes before FROM (1998-04)" in capsys.readouterr().err
