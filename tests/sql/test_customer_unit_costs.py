"""sql/clv/customer_unit_costs.sql on the hand-computed example of tests/sql/test_profit.py: each customer's cost
history up to a scoring date, priced as the P&L prices it, and nothing after the date.

  A  2024-01-05 web   books 100.00 | 2024-02-10 web music 50.00 | 2024-02-15 return -20.00
  B  2024-01-20 store music  40.00
  C  2024-02-03 web   books  10.00
Costs: cogs 50 % (books 40 %); per order 2.00 (store 3.00); per line 0.50; marketing 0.25 per customer per month
for 2 months from a purchase (the purchase month and the next).
"""

import datetime as dt

from pipelines.warehouse import clv_tables, cost_model
from pipelines.warehouse.database import frame, run

COLUMNS = ["customer_id", "cogs_value", "cost_to_serve_value", "sale_days", "return_lines", "marketing_cost_per_month",
           "marketed_months"]


def _costs(con, cfg, day: dt.date) -> list[tuple]:
    run(con, "profit/cost_rates")
    params = {**cost_model.price_parameters(cfg), "as_of": day, "horizon_months": 12}
    return frame(con, "clv/customer_unit_costs", params).select(COLUMNS).sort("customer_id").rows()


def test_unit_costs_are_the_pnl_s_costs_up_to_the_date(hand_warehouse):
    con, cfg = hand_warehouse
    assert _costs(con, cfg, dt.date(2024, 2, 29)) == [
        # cogs 40 + 25; two orders at 2.00 and two lines at 0.50; marketed through March: 1 month after February
        ("A", 65.0, 5.0, 2, 1, 0.25, 1),
        ("B", 20.0, 3.5, 1, 0, 0.25, 0),  # marketed January and February: none after
        ("C", 4.0, 2.5, 1, 0, 0.25, 1),
    ]
    # the same as profit.customer_profit summed over the customer's periods, to the cent
    pnl = dict(((c, (float(cogs), float(serve))) for c, cogs, serve in con.execute(
        "select customer_id, sum(cogs), sum(cost_to_serve) from profit.customer_profit group by 1").fetchall()))
    assert {c: (cogs, serve) for c, cogs, serve, *_ in _costs(con, cfg, dt.date(2024, 2, 29))} == pnl


def test_a_date_s_unit_costs_do_not_look_ahead(hand_warehouse):
    con, cfg = hand_warehouse
    january = _costs(con, cfg, dt.date(2024, 1, 31))
    assert january == [("A", 40.0, 2.5, 1, 0, 0.25, 1), ("B", 20.0, 3.5, 1, 0, 0.25, 1)]
    con.execute("delete from staging.transactions where order_date > '2024-01-31'")
    assert _costs(con, cfg, dt.date(2024, 1, 31)) == january


def test_profit_clv_reads_the_unit_costs_and_margin_rate_clv_does_not(hand_warehouse):
    con, cfg = hand_warehouse
    con.execute("insert into clv.customer_rfm (customer_id, period_end, frequency, recency, t, monetary_value, first_purchase, "
                "last_purchase, time_unit) values ('B', '2024-02-29', 0, 0, 5.57, 0, '2024-01-20', '2024-01-20', 'weeks')")
    rows = clv_tables.customers_at(con, cfg, dt.date(2024, 2, 29))
    assert rows.sort("customer_id").select("customer_id", "cogs_value", "marketed_months").rows() == [("A", 65.0, 1), ("B", 20.0, 0)]
    assert "cogs_value" not in clv_tables.customers_at(con, cfg.model_copy(update={"clv": cfg.clv.model_copy(
        update={"value": "margin_rate"})}), dt.date(2024, 2, 29)).columns
