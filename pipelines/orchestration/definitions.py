"""The one Dagster code location. Its config file is $SEGPROF_CONFIG, or segprof.yaml in the working directory."""

import os

from pipelines.orchestration.code_location import DEFAULT_CONFIG, build_defs

defs = build_defs(os.environ.get("SEGPROF_CONFIG", DEFAULT_CONFIG))
