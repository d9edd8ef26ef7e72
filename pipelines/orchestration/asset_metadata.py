"""Materialization metadata: row counts, documented column schemas and markdown previews."""

from __future__ import annotations

import dagster as dg
import duckdb
import polars as pl

from pipelines.warehouse.database import frame, query


def markdown_table(frame: pl.DataFrame) -> str:
    with pl.Config(tbl_formatting="MARKDOWN", tbl_hide_column_data_types=True, tbl_hide_dataframe_shape=True,
                   tbl_cols=-1, tbl_rows=-1, fmt_str_lengths=60):
        return str(frame)


def table_metadata(con: duckdb.DuckDBPyConnection, table: str, preview_rows: int = 5) -> dict:
    """Row count, column schema with the warehouse's column comments, and a preview of `schema.table`."""
    schema, name = table.split(".")
    columns = query(con, "warehouse/table_columns", {"schema": schema, "table": name})
    preview = frame(con, "warehouse/table_preview", {"table": table, "limit": preview_rows})
    return {
        "dagster/row_count": query(con, "warehouse/table_row_count", {"table": table})[0]["row_count"],
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(c["column_name"], c["data_type"], description=c["comment"]) for c in columns]
        ),
        "dagster/table_name": table,
        "preview": dg.MetadataValue.md(markdown_table(preview)),
    }
