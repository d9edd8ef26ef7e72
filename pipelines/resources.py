"""Dagster resources: the validated config and the DuckDB warehouse it names."""

from __future__ import annotations

from contextlib import contextmanager

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines import config as config_module


class SegprofConfig(dg.ConfigurableResource):
    """The segprof YAML config file, validated when read."""

    path: str

    @property
    def value(self) -> config_module.Config:
        return config_module.load(self.path)


class WarehouseResource(DuckDBResource):
    """DuckDBResource that also closes its connection when the step fails.

    dagster-duckdb closes only after a clean exit; a connection left open by a failed step
    keeps the file locked for the rest of the process.
    """

    @contextmanager
    def get_connection(self):
        con = super().get_connection().__enter__()
        try:
            yield con
        finally:
            con.close()
