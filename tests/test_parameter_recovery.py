"""Parameter recovery: each model, fitted through segprof's RFM SQL, recovers the parameters the data was drawn from.

Tolerance: every parameter within 10 % of its generating value at 150,000 customers. The
remaining bias (alpha ~5 % high) comes from recording purchases by day: two purchases on one
day are one purchase, and ages and recencies are whole days.
"""

from dataclasses import asdict

import duckdb
import polars as pl
import pytest

from models import clv, synthetic
from pipelines import config
from pipelines.warehouse import loading
from pipelines.warehouse.database import run

TOLERANCE = 0.10


@pytest.mark.slow
@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "paretonbd"])
def test_models_recover_generating_parameters(tmp_path, model):
    truth = synthetic.Parameters(model=model, return_rate=0.0)
    synthetic.generate(customers=150_000, seed=2024, out_dir=tmp_path, params=truth)
    (tmp_path / "c.yaml").write_text(
        "warehouse: {path: w.duckdb}\nsources:\n  - name: s\n    path: transactions/*.parquet\n    format: parquet\n"
        "    columns: {customer_id: customer_id, order_id: order_id, order_date: order_ts, amount: amount}\n"
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        loading.load_transactions(con, config.load(tmp_path / "c.yaml"))
        run(con, "clv/rfm")
        as_of = con.execute("select max(order_date) from staging.transactions").fetchall()[0][0]
        rfm = pl.from_arrow(con.sql("select * from rfm([$a::date], 7.0)", params={"a": as_of}).to_arrow_table())
    expected = asdict(truth)
    purchase = clv.fit_purchase_model(model, rfm)
    spend = clv.fit_spend_model(rfm)
    assert purchase.converged and spend.converged
    for fit in (purchase, spend):
        for name, value in fit.params.items():
            assert value == pytest.approx(expected[name], rel=TOLERANCE), (fit.model, name, value, expected[name])
