"""The project's persistent Dagster instance, `.dagster/` beside workspace.yaml: what `make dev` shows."""

from __future__ import annotations

import os
from pathlib import Path

# The project's Dagster instance: `segprof run`, `make demo` and `make dev` keep runs, materialisations and checks here.
DAGSTER_YAML = """\
concurrency:
  runs:
    max_concurrent_runs: 1  # one writer per DuckDB warehouse
telemetry:
  enabled: false
"""


def dagster_home(config_path: str | os.PathLike) -> Path | None:
    """$DAGSTER_HOME, or `.dagster/` beside the workspace.yaml above the config (the `make dev` instance), created
    with its dagster.yaml when missing; None for a config outside a project (an in-memory instance then)."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    project = next((p for p in Path(config_path).resolve().parents if (p / "workspace.yaml").is_file()), None)
    if project is None:
        return None
    home = project / ".dagster"
    home.mkdir(exist_ok=True)
    if not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    return home
