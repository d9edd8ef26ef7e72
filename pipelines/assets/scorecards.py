"""Scorecards layer: segment P&L, migration, equity bridge, whale curve and action lists -> segment_scorecard (the KPI table).

The HTML pages are rendered from this table when the run publishes (pipelines/assets/bi.py), so that the
scorecards and the BI snapshot always show the same run.
"""

import dagster as dg

from pipelines import scorecards
from pipelines.assets.clv import clv_model
from pipelines.assets.profitability import (at_risk_customers, segment_equity_bridge, segment_migration, segment_profitability,
                                            whale_curve)
from pipelines.metadata import table_metadata
from pipelines.resources import SegprofConfig, WarehouseResource


@dg.asset(deps=[segment_profitability, segment_migration, segment_equity_bridge, whale_curve, at_risk_customers, clv_model],
          kinds={"duckdb"}, group_name="scorecards")
def segment_scorecard(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """scorecards.segment_scorecard: segment x as-of date x KPI, with targets and red/amber/green status."""
    config = segprof.value
    with duckdb.get_connection() as con:
        scorecards.build_scorecard_table(con, config)
        data = scorecards.site_data(con, config)
        metadata = table_metadata(con, "scorecards.segment_scorecard")
    return dg.MaterializeResult(metadata={
        **metadata,
        "pages": len(data["pages"]),
        "statuses": scorecards.statuses(data),
    })
