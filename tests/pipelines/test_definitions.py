"""The Dagster code location and the `segprof` CLI, end to end."""

import os

import dagster as dg
import duckdb
from pipelines import cli
from pipelines.orchestration import ingest_checks, suite_checks
from pipelines.orchestration.code_location import build_defs
from pipelines.orchestration.resources import WarehouseResource
from tests.conftest import REPO


def test_code_location_loads():
    dg.Definitions.validate_loadable(build_defs(REPO / "segprof.yaml"))


def test_workspace_points_at_the_definitions():
    assert "module_name: pipelines.orchestration.definitions" in (REPO / "workspace.yaml").read_text()


def test_run_twice_prints_the_same_counts(write_config, csv_source, capsys):
    path = write_config([csv_source(["1,a,2024-01-01,5", "2,b,2024-01-02,x", "2,c,2024-01-03,7"])])
    outputs = []
    for _ in range(2):
        assert cli.main(["run", "--config", str(path), "--select", "group:ingest"]) == 0
        out = capsys.readouterr().out
        outputs.append([line for line in out.splitlines() if not line.startswith("seconds")])
    # the warehouse holds the same; the second run read no file (docs/ingest.md, incremental loads)
    files = [[line for line in output if line.startswith("source files")] for output in outputs]
    assert files == [["source files       1 read, 0 unchanged"], ["source files       0 read, 1 unchanged"]]
    outputs = [[line for line in output if not line.startswith("source files")] for output in outputs]
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == "materialised: customers, rejected_transactions, transactions"
    summary = dict(line.split(None, 1) if not line.startswith("records") else ("read", line.split()[-1]) for line in outputs[0][1:])
    assert summary["read"] == "3"
    assert summary["accepted"] == "2"
    assert summary["rejected"].startswith("1")
    assert summary["customers"] == "2"
    assert outputs[0][-1].endswith("warehouse.duckdb")


def test_missing_file_gives_one_line_and_keeps_the_warehouse(write_config, csv_source, tmp_path, capsys):
    path = write_config([csv_source(["1,a,2024-01-01,5"])])
    assert cli.main(["run", "--config", str(path), "--select", "group:ingest"]) == 0
    capsys.readouterr()
    (tmp_path / "orders.csv").unlink()
    assert cli.main(["run", "--config", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"segprof run failed ({path}):"
    assert err[1] == f"  transactions: {tmp_path / 'orders.csv'}: source 'shop' (sources[0].path): file not found"
    assert "Traceback" not in "\n".join(err)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        assert con.execute("select count(*) from staging.transactions").fetchone()[0] == 1


def test_bad_config_is_reported_without_traceback(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("warehouse: {path: w.duckdb}\nsources: []\nextra: 1\n")
    assert cli.main(["validate", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "segprof validate: 2 problems:",
        f"  {path}: sources: List should have at least 1 item after validation, not 0",
        f"  {path}: extra: unknown key",
    ]


def test_validate_ok(capsys):
    assert cli.main(["validate", "--config", str(REPO / "segprof.yaml")]) == 0
    assert capsys.readouterr().out.startswith(f"{REPO / 'segprof.yaml'}: OK (1 source(s)")


def test_select_runs_only_the_selection(write_config, csv_source, tmp_path, capsys):
    path = write_config([csv_source(["1,a,2024-01-01,5"])])
    assert cli.main(["run", "--config", str(path), "--select", "transactions"]) == 0
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert "transactions" in tables and "customers" not in tables
    assert cli.main(["run", "--config", str(path), "--select", "nothing_like_this"]) == 1


def test_expectations_check_fails_on_a_bad_table(tmp_path):
    database = str(tmp_path / "w.duckdb")
    with duckdb.connect(database) as con:
        con.execute(
            "create schema staging; create table staging.transactions as "
            "select 'shop' as source, 'f.csv' as source_file, 'c' || i as customer_id, 'o' || i as order_id, timestamp '2024-01-01' as order_ts, "
            "date '2024-01-01' as order_date, 10::decimal(18,2) as amount, "
            "1 as quantity, 'web' as channel, 'north' as region, case when i = 5 then null else 'books' end as category, "
            "(case when i = 3 then -1 end)::decimal(18,2) as unit_cost, i as line_number, "
            "timestamp '2024-01-02' as loaded_at from range(1, 11) t(i)"
        )
    result = ingest_checks.transactions_expectations(duckdb=WarehouseResource(database=database))
    assert not result.passed
    assert "unit_cost: expect_column_values_to_be_between failed for 1 rows" in result.description
    assert "category: expect_column_values_to_not_be_null failed for 1 rows" in result.description


def test_expectations_check_passes_on_cdnow_shape(write_config, csv_source, tmp_path):
    path = write_config([csv_source(["1,a,2024-01-01,5", "2,b,2024-01-02,-3"])])
    assert cli.main(["run", "--config", str(path), "--select", "transactions"]) == 0
    result = ingest_checks.transactions_expectations(duckdb=WarehouseResource(database=str(tmp_path / "warehouse.duckdb")))
    assert result.passed and result.metadata["rows_validated"].value == 2 and result.metadata["validated"].value == "every line: all 2 rows"


def test_definitions_module_reads_segprof_config_env(monkeypatch, write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"])])
    monkeypatch.setenv("SEGPROF_CONFIG", str(path))
    import importlib

    import pipelines.orchestration.definitions as definitions

    reloaded = importlib.reload(definitions)
    assert reloaded.defs.resources["duckdb"].database == str(path.parent / "warehouse.duckdb")
    monkeypatch.delenv("SEGPROF_CONFIG")
    importlib.reload(definitions)
    assert os.environ.get("SEGPROF_CONFIG") is None


def test_clv_expectations_fail_on_a_negative_cost(cdnow_demo, tmp_path):
    import shutil

    con, _ = cdnow_demo
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()[0][0]
    copy = tmp_path / "copy.duckdb"
    con.execute("checkpoint")
    shutil.copy(path, copy)
    with duckdb.connect(str(copy)) as broken:
        # GX sees a sample of this table: 100 customers at every date make sure it includes some
        broken.execute("update clv.customer_clv set expected_marketing_cost = -1 where customer_id <= '00100'")
    result = suite_checks.expectations_check("customer_clv", "clv.customer_clv")(duckdb=WarehouseResource(database=str(copy)))
    assert not result.passed and "expected_marketing_cost: expect_column_values_to_be_between failed" in result.description
