"""Where segprof may write: only into folders it created, each marked with the config that owns it.

Every output setting is checked before a run writes anything (and again where it writes): a folder
that segprof did not create and that holds anything, the config's own folder or one of its parents,
a folder holding a source or the warehouse, the home folder or `/`, or a path naming an existing file
is refused with the key that names it. Nothing segprof did not create is ever deleted or replaced.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.errors import ConfigError, SegprofError
from pipelines.warehouse.database import query

if TYPE_CHECKING:
    from pipelines.config import Config

MARKER = ".segprof-output"  # in every folder segprof creates: which config file owns it


def _config_id(config_file: Path, folder: Path) -> str:
    # Relative, so that a project moved as a whole keeps owning its outputs.
    return os.path.relpath(config_file, folder)


def owner(folder: Path) -> Path | None:
    """The config file that created `folder`, or None when segprof did not create it."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        return Path(os.path.normpath(folder / marker["config"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def mark(folder: Path, config_file: Path) -> None:
    body = {"created_by": "segprof", "config": _config_id(config_file, folder),
            "config_sha256": hashlib.sha256(config_file.read_bytes()).hexdigest()}
    fresh = folder / f"{MARKER}.{os.getpid()}.{threading.get_ident()}.tmp"  # whole or absent: shards claim a folder at once
    fresh.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
    os.replace(fresh, folder / MARKER)


def _holds_anything(folder: Path) -> bool:
    """True when `folder` holds more than markers being written (by another process claiming it now)."""
    return any(not entry.name.startswith(MARKER) for entry in folder.iterdir())


def _is_ours(folder: Path, config_file: Path) -> bool:
    return owner(folder) == Path(os.path.normpath(config_file))


def claim(folder: Path, config_file: Path) -> Path:
    """Create `folder` (or adopt it when empty) and mark it as this config's; refuse any other folder."""
    folder = Path(folder)
    if folder.is_dir() and not _is_ours(folder, config_file):
        if _holds_anything(folder):
            raise ConfigError(f"{folder}: not empty and not created by segprof for {config_file}; "
                              "segprof writes only into folders it created")
    folder.mkdir(parents=True, exist_ok=True)
    if not _is_ours(folder, config_file):
        mark(folder, config_file)
    return folder


def remove_leftovers(parent: Path, pattern: str, config_file: Path) -> None:
    """Remove what a killed run left behind: folders matching `pattern` that carry this config's marker."""
    for left in parent.glob(pattern):
        if left.is_dir() and not left.is_symlink() and _is_ours(left, config_file):
            shutil.rmtree(left, ignore_errors=True)


@contextmanager
def replaced_folder(target: Path, config_file: Path) -> Iterator[Path]:
    """Yield an empty marked folder beside `target`; on success it takes target's place, on failure it is removed.

    `target` must be absent, empty, or a folder this config created.
    """
    target = Path(target)
    if target.exists() and not _is_ours(target, config_file):
        claim(target, config_file)  # raises unless the folder is empty
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target.parent, f".{target.name}-*", config_file)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes 0700; outputs are for readers too
        mark(staging, config_file)
        yield staging
        old = target.with_name(f".{target.name}-old")
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- the checks `segprof validate` and `segprof run` make before anything is written ---------------

def _source_locations(config: Config) -> list[Path]:
    """Each source's files, or for a glob that matches nothing yet, the folder the glob starts in."""
    locations = []
    for source in config.sources:
        try:
            resolved = config.resolve(source.path)
        except SegprofError:
            continue
        if glob.has_magic(str(resolved)):
            static = Path(*[part for part in _until_magic(resolved.parts)])
            locations += [Path(p) for p in glob.glob(str(resolved), recursive=True)] or [static]
        else:
            locations.append(resolved)
    if config.customer_attributes:
        locations.append(config.resolve(config.customer_attributes.path))
    if config.profit.marketing.file:
        locations.append(config.resolve(config.profit.marketing.file))
    return [Path(os.path.abspath(p)) for p in locations]


def _until_magic(parts: tuple[str, ...]) -> Iterator[str]:
    for part in parts:
        if glob.has_magic(part):
            return
        yield part


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _placement_problem(path: Path, config: Config, sources: list[Path], folder: bool) -> str | None:
    """Why `path` may never be written, whatever is there now; None when it may."""
    path = Path(os.path.abspath(path))
    real = Path(os.path.realpath(path))
    for candidate in {path, real}:
        if candidate == Path(candidate.anchor):
            return "is the file system's root"
        if candidate == Path.home().resolve():
            return "is the home folder"
    config_dir = config.file.parent
    if path == config.file:
        return f"is the config file {config.file}"
    if folder and _inside(config_dir, path):
        return f"is or contains the config's folder {config_dir}"
    for source in sources:
        if path == source or (folder and _inside(source, path)):
            return f"is or contains the source {source}"
    warehouse = Path(os.path.abspath(config.warehouse_path))
    if path == warehouse or (folder and _inside(warehouse, path)):
        return f"is or contains the warehouse {warehouse}"
    return None


def publication_store(config: Config) -> Path:
    """The folder holding each published run (snapshot and scorecards together) and `current`, the live one."""
    published = config.published_path
    return published.with_name(f".{published.name}.runs")


def publication_link(path: Path, store: Path, name: str) -> str:
    """What the link at `path` holds: `name` inside the store's current run, relative to the link."""
    return os.path.relpath(store / "current" / name, path.parent)


def _is_our_link(path: Path, config: Config, name: str) -> bool:
    return path.is_symlink() and os.readlink(path) == publication_link(path, publication_store(config), name)


def _folder_problem(path: Path, config: Config) -> str | None:
    """Why segprof may not (re)write the folder `path` as it stands now; None when it may."""
    if _is_our_link(path, config, "scorecards"):
        return None
    if path.is_symlink() or path.exists():
        if not path.is_dir():
            return "names an existing file, not a folder"
        if _is_ours(path.resolve(), config.file) or not _holds_anything(path):
            return None
        other = owner(path.resolve())
        if other:
            return f"belongs to another config ({other}); give each config its own outputs"
        return "is a folder segprof did not create and it is not empty; choose a new or empty folder"
    return None


def published_by(path: Path) -> str | None:
    """The config file recorded in a snapshot's meta.runs, or None when `path` is no segprof snapshot."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return query(con, "meta/published_by")[0]["config_file"]
    except duckdb.Error:
        return None


def _snapshot_problem(path: Path, config: Config) -> str | None:
    """Why segprof may not replace the published snapshot at `path`; None when it may."""
    if _is_our_link(path, config, path.name):
        return None
    if path.is_symlink():
        return "is a link segprof did not make; choose another path"
    if path.is_dir():
        return "names a folder; give a file path such as bi/published.duckdb"
    if path.exists():
        by = published_by(path)
        if by is None:
            return "names an existing file that is not a segprof snapshot; choose another path"
        if Path(by) != config.file:
            return f"is the snapshot of another config ({by}); give each config its own outputs"
    return None


def output_problems(config: Config) -> list[str]:
    """Every output setting that would make segprof write where it must not, as 'key: path: why' lines."""
    sources = _source_locations(config)
    problems = []

    def check(key: str, path: Path, folder: bool) -> None:
        why = _placement_problem(path, config, sources, folder)
        if why is None:
            why = _folder_problem(path, config) if folder else _snapshot_problem(path, config)
        if why:
            problems.append(f"{config.file}: {key}: {path}: {why}")

    warehouse = config.warehouse_path
    if warehouse.is_dir():
        problems.append(f"{config.file}: warehouse.path: {warehouse}: names a folder; give a file path such as "
                        "warehouse/segprof.duckdb")
    elif warehouse == config.file or Path(os.path.abspath(warehouse)) in sources:
        problems.append(f"{config.file}: warehouse.path: {warehouse}: is the config file or a source")
    check("scorecards.output_dir", config.scorecards_dir, folder=True)
    check("warehouse.published", config.published_path, folder=False)
    check("warehouse.published", publication_store(config), folder=True)
    if config.parquet_export_dir:
        check("warehouse.parquet_export", config.parquet_export_dir, folder=True)
    if (config.sharded or config.warehouse.shards_dir) and "://" not in config.shards_dir:
        check("warehouse.shards_dir", Path(config.shards_dir), folder=True)
    outputs = [("scorecards.output_dir", config.scorecards_dir), ("warehouse.published", config.published_path)]
    if config.parquet_export_dir:
        outputs.append(("warehouse.parquet_export", config.parquet_export_dir))
    for i, (key, path) in enumerate(outputs):
        for other_key, other in outputs[i + 1:]:
            if _inside(Path(os.path.abspath(other)), Path(os.path.abspath(path))) or \
                    _inside(Path(os.path.abspath(path)), Path(os.path.abspath(other))):
                problems.append(f"{config.file}: {other_key}: {other}: overlaps {key} ({path})")
    return problems


def check_outputs(config: Config) -> None:
    """Raise ConfigError naming every unsafe output setting, before anything is written."""
    problems = output_problems(config)
    if problems:
        raise ConfigError(*problems)
