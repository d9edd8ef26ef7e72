"""Unit economics of CLV: what a customer's expected purchase earns, and what keeping the customer costs.

CLV = discounted expected purchases x (expected order value x (1 - cogs_rate - returns_cost_rate)
      - cost_to_serve_per_order) - discounted expected marketing cost           (docs/clv.md, CLV in profit terms)

Under `profit` the shares and amounts come from the customer's own cost history up to the scoring date, priced
by the P&L's cost model (sql/clv/customer_unit_costs.sql, the same line prices as profit.customer_profit):
  cogs_rate                 the customer's cost of goods over their sales (their category mix, or unit costs),
                            shrunk toward the population's with k purchases of the population's mean purchase-day
                            value at the population rate (k = clv.cogs_rate_prior_purchases), as the return rate is;
  returns_cost_rate         expected_return_rate x (1 + handling per returned unit of money): the refund in full (the
                            P&L does not credit the cost of returned goods back) plus the handling cost per return
                            line at the population's return lines per unit of returned value;
  cost_to_serve_per_order   the customer's per-order and per-line costs over their days with a sale line (a CLV
                            "order" is a purchase day, as expected_order_value is): their channels and usual lines
                            per order; the population's for a customer without a sale line;
  marketing_cost_per_month  the per-period marketing rate of the customer's acquisition channel / months per period;
  marketed_months           the horizon months already inside the customer's marketed window (a purchase keeps a
                            customer marketed for profit.marketing.active_months), marketed whether they buy or not.
Under `margin_rate` (the fallback) cogs_rate is 1 - margin_rate, returns_cost_rate margin_rate x expected_return_rate
and there is no cost to serve or marketing: the CLV of margin x order value x (1 - return rate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

VALUE_BASES = ("profit", "margin_rate")
COLUMNS = ("cogs_rate", "returns_cost_rate", "cost_to_serve_per_order", "marketing_cost_per_month", "marketed_months")
# What sql/clv/customer_unit_costs.sql gives per customer, beside clv.customer_rfm's sales_value and returned_value.
HISTORY = ("cogs_value", "cost_to_serve_value", "sale_days", "return_lines", "marketing_cost_per_month", "marketed_months")


@dataclass(frozen=True)
class Valuation:
    """How expected spend becomes value (config clv.value and the cost model's settings CLV reads)."""

    basis: str = "margin_rate"
    margin_rate: float = 1.0
    cogs_rate_prior_purchases: float = 5.0
    handling_per_return: float = 0.0

    def __post_init__(self) -> None:
        if self.basis not in VALUE_BASES:
            raise ValueError(f"CLV value basis must be one of {VALUE_BASES}, not {self.basis!r}")


def shrunk_rate(numerator: np.ndarray, denominator: np.ndarray, population: float, prior: float) -> np.ndarray:
    """(numerator + prior x population) / (denominator + prior): a customer's own rate with `prior` of the
    population's base at the population's rate added; the population's where there is nothing to go on."""
    with np.errstate(invalid="ignore", divide="ignore"):
        own = (numerator + prior * population) / (denominator + prior)
    return np.where(denominator + prior > 0, own, population)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> float:
    total = float(denominator.sum())
    return float(numerator.sum()) / total if total > 0 else 0.0


def unit_economics(rows: pl.DataFrame, valuation: Valuation, return_rate: np.ndarray) -> pl.DataFrame:
    """The COLUMNS for each row of `rows` (customers at one scoring date). Under profit, `rows` has the HISTORY
    columns and sales_value and returned_value (clv.customer_rfm); the population figures are over these rows."""
    if valuation.basis == "margin_rate":
        m = valuation.margin_rate
        return pl.DataFrame({"cogs_rate": np.full(rows.height, 1 - m), "returns_cost_rate": m * return_rate,
                             "cost_to_serve_per_order": np.zeros(rows.height), "marketing_cost_per_month": np.zeros(rows.height),
                             "marketed_months": np.zeros(rows.height, dtype=np.int32)})
    missing = [c for c in (*HISTORY, "sales_value", "returned_value") if c not in rows.columns]
    if missing:
        raise ValueError(f"CLV in profit terms needs each customer's cost history; missing columns {missing}")
    sales, cogs, serve, days, returned, lines = (rows[c].cast(pl.Float64).fill_null(0.0).to_numpy() for c in (
        "sales_value", "cogs_value", "cost_to_serve_value", "sale_days", "returned_value", "return_lines"))
    mean_day_value = _ratio(sales, days)
    cogs_rate = shrunk_rate(cogs, sales, _ratio(cogs, sales), valuation.cogs_rate_prior_purchases * mean_day_value)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_order = np.where(days > 0, serve / days, _ratio(serve, days))
    handling = valuation.handling_per_return * _ratio(lines, returned)  # per unit of money returned
    return pl.DataFrame({
        "cogs_rate": cogs_rate, "returns_cost_rate": return_rate * (1 + handling), "cost_to_serve_per_order": per_order,
        "marketing_cost_per_month": rows["marketing_cost_per_month"].cast(pl.Float64).fill_null(0.0).to_numpy(),
        "marketed_months": rows["marketed_months"].cast(pl.Int32).fill_null(0).to_numpy(),
    })
