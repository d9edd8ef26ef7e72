"""Config validation: every problem names the file and the key path."""

from pathlib import Path

import pytest

from pipelines import config
from pipelines.errors import ConfigError, SourceError
from tests.conftest import REPO


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        config.load(path)
    return str(info.value)


def test_default_config_is_the_cdnow_demo():
    cfg = config.load(REPO / "segprof.yaml")
    files = cfg.source_files(cfg.sources[0])
    assert [f.name for f in files] == ["CDNOW_master.txt"]
    assert files[0].parts[-3:-1] == ("lifetimes", "datasets")
    assert cfg.time_unit == "weeks" and cfg.as_of_date is None
    assert cfg.warehouse_path == REPO / "out" / "segprof" / "warehouse.duckdb"
    assert (cfg.published_path, cfg.scorecards_dir) == (REPO / "out" / "segprof" / "published.duckdb",
                                                        REPO / "out" / "segprof" / "scorecards")


def test_the_demo_and_the_synthetic_config_never_share_an_output():
    demo, synthetic = config.load(REPO / "segprof.yaml"), config.load(REPO / "configs" / "synthetic.yaml")
    outputs = [(c.warehouse_path.parent, c.published_path, c.scorecards_dir) for c in (demo, synthetic)]
    assert outputs[1] == (REPO / "out" / "synthetic", REPO / "out" / "synthetic" / "published.duckdb",
                          REPO / "out" / "synthetic" / "scorecards")
    assert not set(outputs[0]) & set(outputs[1])


def test_synthetic_config_validates():
    cfg = config.load(REPO / "configs" / "synthetic.yaml")
    assert cfg.sources[0].format == "parquet"
    assert cfg.resolve(cfg.sources[0].path) == REPO / "data" / "synthetic" / "transactions" / "*.parquet"


def test_unknown_key_is_rejected_with_its_path(write_config, csv_source):
    source = csv_source(["1,a,2024-01-01,5"]) | {"colour": "red"}
    path = write_config([source])
    assert _error(path) == f"{path}: sources[0].colour: unknown key; did you mean 'columns'?"


def test_unknown_top_level_key(write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"])], segmentz=[])
    assert _error(path) == f"{path}: segmentz: unknown key; did you mean 'segments'?"


def test_wrong_type_names_the_key(write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"])], time_unit="fortnights")
    message = _error(path)
    assert message.startswith(f"{path}: time_unit: ") and "'days', 'weeks' or 'months'" in message


def test_wrong_type_of_date(write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"])], as_of_date="yesterday")
    assert _error(path).startswith(f"{path}: as_of_date: ")


def test_missing_keys_are_each_reported(write_config):
    path = write_config([{"name": "shop", "format": "csv"}])
    lines = _error(path).splitlines()
    assert f"{path}: sources[0].path: required key is missing" in lines
    assert f"{path}: sources[0].columns: required key is missing" in lines


def test_missing_mapped_field(write_config, csv_source):
    source = csv_source(["1,a,2024-01-01,5"])
    del source["columns"]["amount"]
    path = write_config([source])
    assert _error(path) == f"{path}: sources[0].columns.amount: required key is missing"


def test_headerless_text_needs_names(write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"], header=False)])
    assert "needs 'names'" in _error(path)


def test_source_names_unique(write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"]), csv_source(["1,a,2024-01-01,5"])])
    assert "repeated: shop" in _error(path)


def test_not_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("warehouse: [unclosed\n")
    assert _error(path) == (f"{path}, line 2, column 1: not valid YAML: expected ',' or ']', but got '<stream end>' "
                            "(while parsing a flow sequence started at line 1, column 12)")


def test_missing_config_file(tmp_path):
    assert _error(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: config file not found"


def test_source_path_missing_is_a_source_error(write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"]) | {"path": "gone.csv"}])
    cfg = config.load(path)
    with pytest.raises(SourceError, match=r"gone\.csv: source 'shop' \(sources\[0\]\.path\): file not found"):
        cfg.source_files(cfg.sources[0])


def test_glob_that_matches_nothing(write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"]) | {"path": "in/*.csv"}])
    cfg = config.load(path)
    with pytest.raises(SourceError, match="no file matches"):
        cfg.source_files(cfg.sources[0])


@pytest.mark.parametrize(("at_risk", "message"), [
    ({"watch": {"vip": ["diamond"]}}, "at_risk.watch.vip: unknown value tiers ['diamond']"),
    ({"watch": {"vips": ["gold"]}}, "at_risk.watch: unknown segments ['vips']"),
    ({"actions": [{"action": "call", "segments": ["vip", "nobody"]}]}, "at_risk.actions[0].segments: unknown segments ['nobody']"),
    ({"actions": [{"action": "call", "reason": "late"}]}, "at_risk.actions[0].reason: Input should be 'any'"),
    ({"recent_days": -1}, "at_risk.recent_days"),
])
def test_action_list_settings_are_checked_and_named(write_config, csv_source, at_risk, message):
    path = write_config([csv_source(["a,1,2024-01-01,5.00"])], segments=[
        {"name": "vip", "rule": {"value_tier": ["gold"]}}, {"name": "rest", "catch_all": True}], at_risk=at_risk)
    assert message in _error(path)


def test_the_interval_method_enters_the_history_digest_only_where_periods_keep_intervals():
    """Under clv.interval_dates all a closed period keeps its intervals, so a new method must restate it (docs/clv.md,
    Intervals and history); under latest none keeps one, and changing the method restates nothing."""
    base = config.load(REPO / "segprof.yaml")

    def digest(**clv) -> str:
        return base.model_copy(update={"clv": base.clv.model_copy(update=clv)}).history_hash()

    assert base.clv.interval_method == "delta"
    assert digest(interval_method="draws") == digest(interval_method="delta")
    assert digest(interval_dates="all", interval_method="draws") != digest(interval_dates="all", interval_method="delta")
