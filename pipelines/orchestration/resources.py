"""Dagster resources: the validated config and the DuckDB warehouse it names."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from pipelines import config as config_module
from pipelines.warehouse.database import drop_old_keys, rename_old_columns, writer_lock


class SegprofConfig(dg.ConfigurableResource):
    """The segprof YAML config file, validated when read."""

    path: str

    @property
    def value(self) -> config_module.Config:
        return config_module.load(self.path)


class WarehouseResource(DuckDBResource):
    """DuckDBResource that holds the warehouse's writer lock for the whole run, and closes its connection
    when a step fails.

    Every way to start a run (`segprof run`, the Dagster UI, a sensor, `dagster asset materialize`)
    initialises this resource, so runs on one warehouse take turns instead of interleaving their steps.
    dagster-duckdb closes only after a clean exit; a connection left open by a failed step keeps the
    file locked for the rest of the process.
    """

    _lock: ExitStack = PrivateAttr(default_factory=ExitStack)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._lock.enter_context(writer_lock(Path(self.database)))
        if Path(self.database).exists():
            with self.get_connection() as con:
                for renamed in rename_old_columns(con):
                    context.log.info(f"renamed column {renamed} (a warehouse made by an earlier segprof)")
                for table in drop_old_keys(con):
                    context.log.info(f"dropped the primary key of {table} (a warehouse made by an earlier segprof; "
                                     "an asset check keeps its rows unique)")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._lock.close()

    @contextmanager
    def get_connection(self):
        con = super().get_connection().__enter__()
        try:
            yield con
        finally:
            con.close()
