"""The asset graph, snapshotted: keys, groups, kinds, deps, partitions and checks of every asset, unsharded and sharded.

An unintended change to the graph shows here as a diff against snapshots/asset_graph.json. After an
intended one, regenerate it with SEGPROF_UPDATE_SNAPSHOTS=1 and review the diff.
"""

import json
import os

import dagster as dg
import pytest
import yaml

from pipelines.orchestration.code_location import build_defs
from tests.conftest import REPO

SNAPSHOT = REPO / "tests" / "pipelines" / "snapshots" / "asset_graph.json"


def _partitions(node) -> dict | None:
    partitions = node.partitions_def
    if partitions is None:
        return None
    if isinstance(partitions, dg.DynamicPartitionsDefinition):  # keys follow the data: the transactions step sets them
        return {"type": type(partitions).__name__, "name": partitions.name}
    return {"type": type(partitions).__name__, "keys": partitions.get_partition_keys()}


def graph_snapshot(defs: dg.Definitions) -> dict:
    """Every asset spec and check of a code location, as plain data in a fixed order."""
    graph = defs.resolve_asset_graph()
    checks: dict[str, list[dict]] = {}
    for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        spec = graph.get_check_spec(key)
        checks.setdefault(key.asset_key.to_user_string(), []).append({"name": key.name, "blocking": spec.blocking})
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        name = key.to_user_string()
        assets[name] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitions": _partitions(node),
            "checks": checks.get(name, []),
        }
    return assets


def _sharded_config(tmp_path) -> str:
    config = yaml.safe_load((REPO / "segprof.yaml").read_text())
    for source in config["sources"]:
        if "://" not in source["path"]:
            source["path"] = str(REPO / source["path"])
    config["warehouse"] = {**config.get("warehouse", {}), "path": str(tmp_path / "w.duckdb"), "shards": 3}
    path = tmp_path / "sharded.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_asset_graph_matches_snapshot(tmp_path):
    actual = {
        "unsharded": graph_snapshot(build_defs(REPO / "segprof.yaml")),
        "sharded (3 shards)": graph_snapshot(build_defs(_sharded_config(tmp_path))),
    }
    if os.environ.get("SEGPROF_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(actual, indent=2) + "\n")
        pytest.skip(f"snapshot rewritten: review the diff of {SNAPSHOT.name}")
    assert actual == json.loads(SNAPSHOT.read_text())
