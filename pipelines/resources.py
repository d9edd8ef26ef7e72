"""Dagster resources: the validated config and the DuckDB warehouse it names."""

from __future__ import annotations

import dagster as dg

from pipelines import config as config_module


class SegprofConfig(dg.ConfigurableResource):
    """The segprof YAML config file, validated when first used."""

    path: str

    @property
    def value(self) -> config_module.Config:
        return config_module.load(self.path)
