"""The cost model's prices as bound parameters of the statements that price transaction lines: the customer P&L
(sql/profit/customer_profit_base.sql) and the unit costs of CLV in profit terms (sql/clv/customer_unit_costs.sql)."""

from __future__ import annotations

from pipelines.config import Config, RateTable
from pipelines.warehouse import calendar


def _rates(prefix: str, table: RateTable) -> dict:
    return {f"{prefix}_keys": list(table.by), f"{prefix}_values": list(table.by.values()), f"{prefix}_default": table.default}


def price_parameters(config: Config) -> dict:
    """Cost of goods, cost to serve, marketing and the marketed window, as sql/profit/cost_rates.sql's macros take them."""
    profit = config.profit
    return {
        "period": profit.period,  # the grain SQL buckets transaction days by (date_trunc)
        "period_months": calendar.PERIOD_MONTHS[profit.period],
        "cogs_method": profit.cogs.method,
        **_rates("cogs", profit.cogs.rate),
        **_rates("line", profit.cost_to_serve.per_line),
        **_rates("order", profit.cost_to_serve.per_order),
        **_rates("marketing", profit.marketing.per_customer_per_period),
        "handling_per_return": profit.returns.handling_per_return,
        "active_months": profit.marketing.active_months,
    }
