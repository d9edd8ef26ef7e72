"""The Dagster code location: assets with their checks, resources, sensors and the Definitions."""
