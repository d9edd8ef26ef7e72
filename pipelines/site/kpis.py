"""The scorecard KPIs: what each means, how it is shown, and which direction is better."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    unit: str  # money | count | percent | signed_count
    better: str  # higher | lower
    definition: str


KPIS = [
    Kpi("customers", "Customers", "count", "higher", "Customers in the segment at the period end."),
    Kpi("active_customers", "Active customers", "count", "higher", "Customers in the segment who ordered in the period."),
    Kpi("revenue", "Revenue", "money", "higher", "Gross sales of the segment's customers in the period."),
    Kpi("contribution", "Contribution", "money", "higher",
        "Revenue minus cost of goods, cost to serve, returns and marketing, in the period."),
    Kpi("contribution_per_customer", "Contribution per customer", "money", "higher", "Contribution divided by customers."),
    Kpi("share_of_contribution", "Share of contribution", "percent", "higher",
        "The segment's contribution as a share of all segments' contribution in the period."),
    Kpi("customer_equity", "Customer equity", "money", "higher",
        "Sum of the customers' lifetime value (discounted expected margin over the CLV horizon) at the period end."),
    Kpi("average_clv", "Average CLV", "money", "higher", "Customer equity divided by customers."),
    Kpi("retention_rate", "Retention", "percent", "higher",
        "Share of the segment's customers at the start of the period (the previous period end) still in the segment at its end: "
        "those who lapsed or moved to another segment are not retained."),
    Kpi("repeat_purchase_rate", "Repeat purchase rate", "percent", "higher",
        "Share of the segment's customers at the start of the period who ordered in the period."),
    Kpi("save_rate", "Save rate", "percent", "higher",
        "Share of the customers on the segment's action list at the start of the period who ordered in the period."),
    Kpi("net_migration", "Net migration", "signed_count", "higher",
        "Customers who joined the segment in the period (new or from other segments) minus those who left it."),
]
KPI_NAMES = [k.name for k in KPIS]
BY_NAME = {k.name: k for k in KPIS}
