"""Segment assignment: ordered rules over value tier and business dimensions, first match wins.

Customers whose value tier is `inactive` (p_alive below the threshold) are in the lapsed
segment whatever the rules say; the last segment catches everyone else.
"""

from __future__ import annotations

import polars as pl

DIMENSIONS = ("value_tier", "region", "channel", "cohort")


class RuleError(ValueError):
    """A segment rule names a customer attribute that does not exist."""


def _condition(rule: dict, columns: list[str], segment: str) -> pl.Expr:
    conditions = [pl.col(d).is_in(rule[d]) for d in DIMENSIONS if rule.get(d) is not None]
    for column, values in (rule.get("attribute") or {}).items():
        if column not in columns:
            raise RuleError(f"segment '{segment}': customer attribute '{column}' does not exist; attributes are: "
                            f"{', '.join(c for c in columns if c not in ('customer_id', 'period_end'))}")
        conditions.append(pl.col(column).is_in(values))
    return pl.all_horizontal(conditions) if conditions else pl.lit(True)


def assign(customers: pl.DataFrame, segments: list[dict], lapsed: str) -> pl.DataFrame:
    """Add `segment` to customers (one row per customer and as-of date with value_tier and dimensions)."""
    expression = pl.when(pl.col("value_tier") == "inactive").then(pl.lit(lapsed))
    for segment in segments:
        if segment["catch_all"]:
            return customers.with_columns(segment=expression.otherwise(pl.lit(segment["name"])))
        expression = expression.when(_condition(segment["rule"], customers.columns, segment["name"])).then(pl.lit(segment["name"]))
    raise RuleError("the last segment must be catch_all")
