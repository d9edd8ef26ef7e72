"""`segprof run` as a person sees it: runs recorded in the project's Dagster instance, progress on a terminal."""

import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from models import synthetic
from tests.conftest import REPO

BIN = Path(sys.executable).parent


def _run_on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal, as in a shell; returns the exit code and what it printed."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    process = subprocess.Popen(args, cwd=cwd, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return process.wait(), output.decode().replace("\r\n", "\n")


@pytest.mark.slow  # a whole run in a process on a terminal
def test_runs_are_recorded_in_the_project_instance_with_progress_on_a_terminal(tmp_path):
    shutil.copy(REPO / "workspace.yaml", tmp_path / "workspace.yaml")  # a project, as the repository is
    synthetic.generate(customers=1_000, seed=5, out_dir=tmp_path / "data")
    (tmp_path / "segprof.yaml").write_text(
        "warehouse: {path: w/work.duckdb}\nsources:\n  - {name: syn, path: data/transactions/*.parquet, format: parquet,\n"
        "     columns: {customer_id: customer_id, order_id: order_id, order_date: order_ts, amount: amount}}\n"
        "clv: {model: bgnbd, candidates: [bgnbd]}\n")  # QUICK_CLV
    code, out = _run_on_a_terminal([str(BIN / "segprof"), "run"], tmp_path)
    assert code == 0, out
    lines = out.splitlines()
    transactions = next(line for line in lines if line.split()[:1] == ["transactions"])
    assert transactions.split()[2] == "s" and "rows" in transactions and transactions.rstrip().endswith("s]")
    assert any(line.strip().startswith("check customer_clv_valid: passed") for line in lines)
    # one count per table, however many period partitions the step wrote, and the time since `segprof run` started
    stamps = [float(m.group(1)) for m in (re.search(r"\[\s*([\d.]+) s\]$", line) for line in lines) if m]
    assert len(stamps) > 10 and stamps == sorted(stamps)
    assert (tmp_path / ".dagster" / "dagster.yaml").read_text().startswith("concurrency:")

    with dg.DagsterInstance.from_config(str(tmp_path / ".dagster")) as instance:
        runs = instance.get_run_records()  # newest first: ingest, then the rest over the planned period partitions
        assert [r.dagster_run.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * 2
        assert all(r.dagster_run.tags["segprof/config"] == str(tmp_path / "segprof.yaml") for r in runs)
        periods = instance.get_dynamic_partitions("periods")
        clv_line = next(line for line in lines if line.split()[:1] == ["customer_clv"])
        assert re.search(rf"s  [\d,]+ rows, {len(periods)} periods +\[", clv_line), clv_line
        assert runs[0].dagster_run.tags["dagster/asset_partition_range_start"] == periods[0]
        assert runs[0].dagster_run.tags["dagster/asset_partition_range_end"] == periods[-1]
        clv = instance.get_latest_materialization_event(dg.AssetKey("customer_clv"))
        assert clv.run_id == runs[0].dagster_run.run_id
        assert clv.asset_materialization.metadata["dagster/row_count"].value > 1_000
        published = instance.get_latest_materialization_event(dg.AssetKey("published_warehouse"))
        assert published is not None and published.run_id == runs[0].dagster_run.run_id

    code, out = _run_on_a_terminal([str(BIN / "segprof"), "run", "--select", "customers", "--quiet"], tmp_path)
    assert code == 0, out
    assert out.startswith("materialised: customers\n") and " rows " not in out and "check " not in out
    with dg.DagsterInstance.from_config(str(tmp_path / ".dagster")) as instance:
        assert len(instance.get_run_records()) == 3
