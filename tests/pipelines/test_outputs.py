"""Where segprof writes: only folders it created, each config its own, scorecards and snapshot switched together,
one writer per warehouse, and a killed or full-disk run never changes what readers see."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from models import synthetic
from pipelines import cli
from tests.conftest import QUICK_CLV

BIN = Path(sys.executable).parent
SOURCE = {"name": "syn", "path": "data/transactions/*.parquet", "format": "parquet",
          "columns": {"customer_id": "customer_id", "order_id": "order_id", "order_date": "order_ts",
                      "amount": "amount", "channel": "channel"}}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("outputs_data")
    synthetic.generate(customers=2_000, seed=9, out_dir=folder / "transactions_set")
    return folder / "transactions_set"


@pytest.fixture
def root(tmp_path) -> Path:
    """The project folder; beside it: `home` (the user's home in these tests) and `elsewhere`."""
    (tmp_path / "project").mkdir()
    return tmp_path / "project"


@pytest.fixture
def project(root, data):
    """The generated data linked into the project; write(**settings) writes a config there and returns its path."""
    (root / "data").symlink_to(data)

    def write(name: str = "segprof.yaml", **settings) -> Path:
        path = root / name
        path.write_text(yaml.safe_dump({"sources": [SOURCE], "clv": QUICK_CLV, **settings}, sort_keys=False))
        return path

    return write


def _tree(folder: Path) -> dict[str, str]:
    """Every path under folder (links not followed) with a hash of its content."""
    out = {}
    for root, dirs, names in os.walk(folder):
        for name in dirs + names:
            p = Path(root) / name
            key = str(p.relative_to(folder))
            out[key] = "link" if p.is_symlink() else ("dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def _fails(config: Path, capsys, *args: str) -> str:
    assert cli.main([*args, "--config", str(config)]) == 1
    return capsys.readouterr().err


# --- 1. output folders are owned, never borrowed -------------------------------------------------

def _user_file(folder: Path, name: str = "thesis.docx") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("a user's own work")
    return folder / name


FAULTS = {
    # name: (settings, set-up in the project folder, key named, reason)
    "scorecards in the config's folder": ({"scorecards": {"output_dir": "."}}, None,
                                          "scorecards.output_dir", "is or contains the config's folder"),
    "scorecards in a parent": ({"scorecards": {"output_dir": ".."}}, None, "scorecards.output_dir", "config's folder"),
    "scorecards in a user's folder": ({"scorecards": {"output_dir": "../elsewhere"}},
                                      lambda p: _user_file(p.parent / "elsewhere"), "scorecards.output_dir", "did not create"),
    "scorecards naming a file": ({"scorecards": {"output_dir": "notes.txt"}},
                                 lambda p: (p / "notes.txt").write_text("mine"), "scorecards.output_dir", "names an existing file"),
    "scorecards at the root": ({"scorecards": {"output_dir": "/"}}, None, "scorecards.output_dir", "root"),
    "scorecards in home": ({"scorecards": {"output_dir": "~"}}, None, "scorecards.output_dir", "home folder"),
    "scorecards holding a source": ({"scorecards": {"output_dir": "data"}}, None, "scorecards.output_dir", "source"),
    "scorecards holding the warehouse": ({"warehouse": {"path": "w/w.duckdb"}, "scorecards": {"output_dir": "w"}}, None,
                                         "scorecards.output_dir", "warehouse"),
    "parquet export in a user's folder": ({"warehouse": {"parquet_export": "exports"}},
                                          lambda p: _user_file(p / "exports"), "warehouse.parquet_export", "did not create"),
    "shards in a user's folder": ({"warehouse": {"shards": 2, "shards_dir": "scratch"}},
                                  lambda p: _user_file(p / "scratch"), "warehouse.shards_dir", "did not create"),
    "snapshot over a user's file": ({"warehouse": {"published": "mine.duckdb"}},
                                    lambda p: (p / "mine.duckdb").write_text("not a snapshot"), "warehouse.published",
                                    "not a segprof snapshot"),
    "snapshot over the config": ({"warehouse": {"published": "segprof.yaml"}}, None, "warehouse.published", "config file"),
    "snapshot inside the scorecards": ({"warehouse": {"published": "site/p.duckdb"}, "scorecards": {"output_dir": "site"}},
                                       None, "warehouse.published", "overlaps scorecards.output_dir"),
    "warehouse naming a folder": ({"warehouse": {"path": "wh"}}, lambda p: (p / "wh").mkdir(), "warehouse.path", "names a folder"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_unsafe_outputs_are_refused_before_anything_is_written(fault, project, root, tmp_path, capsys, monkeypatch):
    settings, setup, key, reason = FAULTS[fault]
    _user_file(tmp_path / "home", ".profile")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MPLCONFIGDIR", str(root / "data" / ".." / ".." / "mpl"))  # matplotlib's cache, not in home
    config = project(**settings)
    if setup:
        setup(root)
    before = _tree(tmp_path)  # the project, the home folder and the folder beside them
    before = {k: v for k, v in before.items() if not k.startswith("mpl")}
    for command in ("validate", "run"):
        err = _fails(config, capsys, command)
        assert re.search(rf"{re.escape(key)}: .*{re.escape(reason)}", err), err
    assert {k: v for k, v in _tree(tmp_path).items() if not k.startswith("mpl")} == before


@pytest.mark.slow  # a whole pipeline run or more on generated data: kept out of the 10-minute fast suite
def test_an_empty_folder_is_adopted_and_a_users_file_beside_the_outputs_survives(project, root, capsys):
    (root / "site").mkdir()
    mine = _user_file(root / "bi", "readme.txt")
    config = project(warehouse={"path": "w/w.duckdb", "published": "bi/segprof.duckdb"}, scorecards={"output_dir": "site"})
    assert cli.main(["validate", "--config", str(config)]) == 0
    assert cli.main(["run", "--config", str(config)]) == 0
    assert (root / "site" / "index.html").is_file() and mine.read_text() == "a user's own work"
    assert cli.main(["run", "--config", str(config)]) == 0
    assert mine.read_text() == "a user's own work"
    assert sorted(p.name for p in (root / "bi").iterdir()) == [".segprof.duckdb.runs", "readme.txt", "segprof.duckdb"]


# --- 2. one config, one place ------------------------------------------------------------------------

@pytest.mark.slow  # a whole pipeline run or more on generated data: kept out of the 10-minute fast suite
def test_each_config_has_its_own_outputs_and_never_takes_anothers_snapshot(project, root, capsys):
    first, second = project("demo.yaml"), project("other.yaml", profit={"period": "quarter"})
    for config in (first, second):
        assert cli.main(["run", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    for name in ("demo", "other"):
        folder = root / "out" / name
        assert f"{folder / 'scorecards' / 'index.html'}" in out
        with duckdb.connect(str(folder / "published.duckdb"), read_only=True) as snap:
            assert snap.execute("select distinct config_file from meta.runs").fetchall() == [(str(root / f"{name}.yaml"),)]
    taker = project("taker.yaml", warehouse={"published": "out/demo/published.duckdb"})
    err = _fails(taker, capsys, "run")
    assert "warehouse.published" in err and "another config" in err
    scorecards_taker = project("taker.yaml", scorecards={"output_dir": "out/demo/scorecards"})
    assert "another config" in _fails(scorecards_taker, capsys, "validate")


# --- 6. scorecards and snapshot switch together; 9. killed and full-disk runs --------------------------

def _page_run_id(index: Path) -> str:
    return re.search(r'<span class="run-id">([^<]+)</span>', index.read_text()).group(1)


def _snapshot_run_id(published: Path) -> str:
    with duckdb.connect(str(published), read_only=True) as snap:
        return snap.execute("select run_id from meta.runs order by finished_at desc limit 1").fetchone()[0]


def _paused_run(config: Path, marker: Path, point: str) -> subprocess.Popen:
    """Start `segprof run`, paused at `point` of its publication (pipelines.warehouse.publish.pause_point); returns once it is
    there. Deleting `marker` lets it go on."""
    marker.unlink(missing_ok=True)
    env = {**os.environ, "SEGPROF_TEST_PAUSE_AT": f"{point}:{marker}"}
    process = subprocess.Popen([str(BIN / "segprof"), "run", "--config", str(config)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached its pause point"
        time.sleep(0.1)
    return process


@pytest.mark.slow  # several whole runs in processes that are killed or wait on each other
def test_scorecards_and_snapshot_show_one_run_even_when_the_next_is_killed_at_the_switch(project, root):
    os.umask(0o022)
    config = project(warehouse={"path": "w/w.duckdb"})
    assert cli.main(["run", "--config", str(config)]) == 0
    published, index = root / "w" / "published.duckdb", root / "w" / "scorecards" / "index.html"
    first = _snapshot_run_id(published)
    assert _page_run_id(index) == first
    # normal permissions (umask), and a mode an administrator gives the snapshot is kept
    assert oct(os.stat(index.parent).st_mode & 0o777) == "0o755" and oct(os.stat(index).st_mode & 0o777) == "0o644"
    assert oct(os.stat(published).st_mode & 0o777) == "0o644"
    os.chmod(published, 0o640)
    (index.parent / "stale.html").write_text("from no run")

    run = _paused_run(config, root / "pause", "before_rename")  # everything built, nothing switched yet
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    store = root / "w" / ".published.duckdb.runs"
    assert len([p for p in store.iterdir() if p.is_dir() and not p.is_symlink()]) == 2  # the killed run's folder
    assert _snapshot_run_id(published) == first and _page_run_id(index) == first

    assert cli.main(["run", "--config", str(config)]) == 0  # the next run cleans up and switches both
    second = _snapshot_run_id(published)
    assert second != first and _page_run_id(index) == second and not (index.parent / "stale.html").exists()
    assert sorted(p.name for p in store.iterdir() if not p.name.startswith(".")) == sorted(["current", os.readlink(store / "current")])
    assert oct(os.stat(published).st_mode & 0o777) == "0o640"


@pytest.mark.slow  # several whole runs in processes that are killed or wait on each other
def test_one_writer_whatever_starts_the_run(project, root):
    """`segprof run` holds the warehouse; a `dagster asset materialize` (here: of the publishing step) of the same
    warehouse waits for it."""
    config = project(warehouse={"path": "w/w.duckdb"})
    first = _paused_run(config, root / "pause", "before_rename")
    env = {**os.environ, "SEGPROF_CONFIG": str(config), "DAGSTER_HOME": str(root / "dagster_home")}
    (root / "dagster_home").mkdir()
    # publishing alone: the per-period assets would need a partition range of an instance that knows the periods
    second = subprocess.Popen([str(BIN / "dagster"), "asset", "materialize", "-m", "pipelines.orchestration.definitions",
                               "--select", "published_warehouse"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root)
    waited = ""
    deadline = time.monotonic() + 300
    while "waiting for the run that holds" not in waited:
        line = second.stderr.readline()
        assert line or second.poll() is None, f"the second writer never waited: {waited}"
        waited += line
        assert time.monotonic() < deadline
    assert f"pid {first.pid}" in waited  # it names the holder
    (root / "pause").unlink()
    assert first.wait(timeout=300) == 0
    second.communicate(timeout=600)
    assert second.returncode == 0
    with duckdb.connect(str(root / "w" / "published.duckdb"), read_only=True) as snap:
        runs = snap.execute("select started_at, finished_at from meta.runs order by finished_at").fetchall()
    assert len(runs) == 2 and runs[0][1] <= runs[1][1]


@pytest.fixture
def tiny_disk(tmp_path):
    folder = tmp_path / "small_disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here to fill a disk: {mounted.stderr.strip() or 'mount failed'}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.slow  # several whole runs in processes that are killed or wait on each other
def test_a_full_disk_fails_the_run_cleanly_and_keeps_the_published_run(project, root, tiny_disk, capsys):
    """The snapshot (~15 MB) fits once on a 24 MB disk; publishing the next run beside it runs out of space."""
    config = project(warehouse={"path": "w/w.duckdb", "published": str(tiny_disk / "published.duckdb")},
                     scorecards={"output_dir": "site"})
    assert cli.main(["run", "--config", str(config)]) == 0
    published = tiny_disk / "published.duckdb"
    first, digest = _snapshot_run_id(published), hashlib.sha256(published.read_bytes()).hexdigest()
    err = _fails(config, capsys, "run")
    assert "published_warehouse" in err and "No space left on device" in err, err
    assert hashlib.sha256(published.read_bytes()).hexdigest() == digest
    assert _page_run_id(root / "site" / "index.html") == first
    store = tiny_disk / ".published.duckdb.runs"
    assert [p.name for p in store.iterdir() if p.is_dir() and not p.is_symlink()] == [os.readlink(store / "current")]
