"""The periods as Dagster partitions: a run materialises the planned ones, a backfill of chosen partitions restates
exactly them (or is refused), and the source sensor runs ingest and then the planned partitions."""

from __future__ import annotations

import contextlib
import io

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines import cli
from pipelines.orchestration import periods, runner
from pipelines.orchestration.code_location import build_defs
from pipelines.orchestration.sensors import new_source_files


def _run(path) -> list[str]:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(["run", "--config", str(path)]) == 0
    return out.getvalue().splitlines()


def _partitions(instance: dg.DagsterInstance, asset: str, run_id: str | None = None) -> list[str | None]:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records
    return sorted((r.partition_key for r in records if run_id is None or r.run_id == run_id), key=str)


def _per_period(defs: dg.Definitions) -> set[str]:
    graph = defs.resolve_asset_graph()
    return {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).partitions_def == periods.PERIODS}


def _published(tmp_path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(tmp_path / "bi" / "published.duckdb"), read_only=True)


def test_a_run_materialises_the_planned_periods_and_a_backfill_restates_exactly_its_own(small, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()
    defs = build_defs(small)
    assert _per_period(defs) == {"customer_rfm", "clv_model", "customer_clv", "customer_profit", "customer_segments",
                                 "segment_profitability", "segment_migration", "segment_equity_bridge",
                                 "segment_dimension_profit", "whale_curve", "at_risk_customers"}
    _run(small)
    with dg.DagsterInstance.get() as instance:
        keys = list(instance.get_dynamic_partitions("periods"))
        # the keys follow the data: one per month from the first transaction to the as-of date, in order
        with _published(tmp_path) as con:
            months = [f"{d:%Y-%m}" for (d,) in con.execute("select period_start from meta.period_fingerprints order by 1").fetchall()]
            before = con.execute("select * from profit.segment_profitability order by all").fetchall()
        assert keys == months and len(keys) > 12
        for asset in _per_period(defs):
            assert _partitions(instance, asset) == keys, asset
        assert _partitions(instance, "segment_scorecard") == [None]

    out = _run(small)  # nothing new: no period is computed and no partition materialised
    assert f"periods computed   0 of {len(keys)}" in out
    with dg.DagsterInstance.get() as instance:
        assert _partitions(instance, "customer_rfm") == keys
        assert _partitions(instance, "segment_scorecard") == [None, None]

        # A backfill of two closed periods from the UI: one run over their partition range, without the plan's tag.
        chosen = keys[3:5]
        backfill = dg.AssetSelection.all() - dg.AssetSelection.groups("ingest")
        tags = {"dagster/asset_partition_range_start": chosen[0], "dagster/asset_partition_range_end": chosen[-1]}
        result = runner.materialize(defs, backfill, instance, False, tags=tags)
        assert result.success, runner.failure_lines(result)
        assert _partitions(instance, "segment_migration", result.run_id) == chosen
    with _published(tmp_path) as con:
        restated, computed = con.execute("select restated, periods_computed from meta.runs order by finished_at desc limit 1").fetchone()
        assert [f"{d:%Y-%m}" for d in restated] == [f"{d:%Y-%m}" for d in computed] == chosen
        # the same data and settings: recomputing the periods gives the figures they had
        assert con.execute("select * from profit.segment_profitability order by all").fetchall() == before
        run_ids = con.execute("select run_id from meta.runs").fetchall()

    # Under history.restatement: forbid the same backfill is refused, and nothing is published.
    body = yaml.safe_load(small.read_text())
    small.write_text(yaml.safe_dump({**body, "history": {"restatement": "forbid"}}))
    with dg.DagsterInstance.get() as instance:
        result = runner.materialize(build_defs(small), backfill, instance, False, tags=tags)
    assert not result.success
    assert any(f"this run would restate closed periods {', '.join(chosen)} (backfill of chosen periods)" in line
               for line in runner.failure_lines(result))
    with _published(tmp_path) as con:
        assert con.execute("select run_id from meta.runs").fetchall() == run_ids


@pytest.mark.parametrize("shards", [pytest.param(1, marks=pytest.mark.slow), 2])  # 1: two whole runs, about 30 s
def test_the_source_sensor_runs_ingest_then_the_planned_periods(small, tmp_path, shards):
    body = yaml.safe_load(small.read_text())
    small.write_text(yaml.safe_dump({**body, "warehouse": {**body["warehouse"], "shards": shards}}))
    defs = build_defs(small)
    with dg.DagsterInstance.ephemeral() as instance:
        def tick(cursor: str | None):
            with dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs, resources=defs.resources) as context:
                return new_source_files(context), context.cursor

        def launch(request: dg.RunRequest) -> dg.ExecuteInProcessResult:
            result = runner.materialize(defs, dg.AssetSelection.assets(*request.asset_selection), instance, False,
                                        tags={**request.tags, "dagster/run_key": request.run_key})
            assert result.success, runner.failure_lines(result)
            return result

        request, cursor = tick(None)
        if shards > 1:
            assert isinstance(request, dg.SkipReason) and "shards" in request.skip_message
            return
        assert {k.to_user_string() for k in request.asset_selection} == {"transactions", "rejected_transactions", "customers"}
        waiting, _ = tick(cursor)
        assert isinstance(waiting, dg.SkipReason) and "waiting for the ingest run" in waiting.skip_message
        launch(request)
        request, cursor = tick(cursor)  # ingest succeeded: the rest, over every planned period
        keys = list(instance.get_dynamic_partitions("periods"))
        assert request.tags == periods.range_tags(keys)
        assert {k.to_user_string() for k in request.asset_selection} >= _per_period(defs) | {"published_warehouse"}
        result = launch(request)
        assert _partitions(instance, "customer_clv", result.run_id) == keys
        assert (tmp_path / "bi" / "published.duckdb").is_file()
        again, _ = tick(cursor)
        assert isinstance(again, dg.SkipReason) and "unchanged" in again.skip_message
