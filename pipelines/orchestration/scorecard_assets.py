"""Scorecards layer: segment P&L, migration, equity and contribution bridges, P&L by dimension, whale curve and action lists -> segment_scorecard (the KPI table).

The HTML pages are rendered from this table when the run publishes (pipelines/orchestration/bi_assets.py), so that the
scorecards and the BI snapshot always show the same run.
"""

import dagster as dg

from pipelines.orchestration.asset_metadata import table_metadata
from pipelines.orchestration.clv_assets import clv_model
from pipelines.orchestration.profit_assets import (at_risk_customers, segment_contribution_bridge, segment_dimension_profit,
                                                  segment_equity_bridge, segment_migration, segment_profitability, whale_curve)
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.site import pages


@dg.asset(deps=[segment_profitability, segment_migration, segment_equity_bridge, segment_contribution_bridge,
                segment_dimension_profit, whale_curve, at_risk_customers, clv_model],
          kinds={"duckdb"}, group_name="scorecards")
def segment_scorecard(segprof: SegprofConfig, duckdb: WarehouseResource) -> dg.MaterializeResult:
    """scorecards.segment_scorecard: segment x as-of date x KPI, with targets and red/amber/green status."""
    config = segprof.value
    with duckdb.get_connection() as con:
        pages.build_scorecard_table(con, config)
        metadata = table_metadata(con, "scorecards.segment_scorecard")
        statuses = pages.statuses(con, config)
    return dg.MaterializeResult(metadata={
        **metadata,
        "pages": len(config.segments),  # one page per managed segment (pages.site_data)
        "statuses": statuses,
    })
