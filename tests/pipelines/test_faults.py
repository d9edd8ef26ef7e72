"""A run killed at chosen points of publishing leaves the published snapshot byte for byte as it was.

The run pauses where SEGPROF_TEST_PAUSE_AT names (pipelines.warehouse.publish.pause_point) after writing a marker
file; the test kills it there, so each point is reached on any machine, slow or fast.
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines import cli

SEGPROF = Path(sys.executable).parent / "segprof"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _kill_at(config: Path, point: str, marker: Path) -> None:
    """Start `segprof run`, wait until it pauses at `point`, kill it and everything it started."""
    marker.unlink(missing_ok=True)
    env = {**os.environ, "SEGPROF_TEST_PAUSE_AT": f"{point}:{marker}"}
    run = subprocess.Popen([str(SEGPROF), "run", "--config", str(config)], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not marker.exists():
            assert run.poll() is None, f"the run ended before reaching {point}: {run.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, f"the run did not reach {point}"
            time.sleep(0.1)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        run.stderr.close()


@pytest.mark.slow  # several whole runs in processes that are killed or wait on each other
def test_a_run_killed_before_or_inside_publishing_leaves_the_snapshot_as_it_was(small, tmp_path):
    assert cli.main(["run", "--config", str(small)]) == 0
    published = small.parent / "bi" / "published.duckdb"
    before = _sha(published)
    for point in ("before_publish", "snapshot_half_written", "before_rename"):
        _kill_at(small, point, tmp_path / "paused")
        assert _sha(published) == before, point
        assert bool(_leftovers(published)) == (point != "before_publish"), point  # killed inside publishing: its folder is left
    assert cli.main(["run", "--config", str(small)]) == 0  # the next run recovers and cleans up
    assert not _leftovers(published)
    assert _sha(published) != before


def _leftovers(published: Path) -> list[Path]:
    """Run folders in the publication store other than the live one."""
    store = published.with_name(f".{published.name}.runs")
    live = (store / "current").resolve()
    return [p for p in store.iterdir() if p.is_dir() and not p.is_symlink() and p != live]


@pytest.mark.slow
def test_meta_runs_lists_only_runs_that_published(small, tmp_path):
    assert cli.main(["run", "--config", str(small)]) == 0
    _kill_at(small, "before_rename", tmp_path / "paused")
    assert cli.main(["run", "--config", str(small)]) == 0
    with duckdb.connect(str(small.parent / "bi" / "published.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from meta.runs").fetchone()[0] == 2


@pytest.mark.slow
def test_a_run_killed_before_publishing_leaves_the_scorecards_as_they_were(small, tmp_path):
    assert cli.main(["run", "--config", str(small)]) == 0
    index = small.parent / "w" / "scorecards" / "index.html"
    with duckdb.connect(str(small.parent / "w" / "work.duckdb")) as con:
        con.execute("update staging.transactions set amount = amount + 1")  # so that the next run's pages differ
    before = _sha(index)
    _kill_at(small, "before_publish", tmp_path / "paused")
    assert _sha(index) == before
