"""sql/clv/rfm.sql equals lifetimes.utils.summary_data_from_transaction_data(freq='D') for every customer."""

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

from models.clv import DAYS_PER_UNIT
from models import synthetic
from pipelines import config
from pipelines.warehouse import calendar, loading
from pipelines.warehouse.database import run
from tests.conftest import REPO


@pytest.fixture(scope="module")
def cdnow_con(tmp_path_factory):
    con = duckdb.connect(str(tmp_path_factory.mktemp("rfm") / "w.duckdb"))
    loading.load_transactions(con, config.load(REPO / "segprof.yaml"))
    run(con, "clv/rfm")
    yield con
    con.close()


def _ours(con, as_of, unit) -> pd.DataFrame:
    frame = pl.from_arrow(con.sql("select * from rfm([$a::date], $d::double)", params={"a": as_of, "d": DAYS_PER_UNIT[unit]}).to_arrow_table())
    return frame.to_pandas().set_index("customer_id").sort_index()


def _lifetimes(con, as_of, unit) -> pd.DataFrame:
    tx = con.sql("select customer_id, order_date, amount::double as amount from staging.transactions").df()
    tx["order_date"] = pd.to_datetime(tx["order_date"])
    summary = summary_data_from_transaction_data(
        tx, "customer_id", "order_date", "amount", observation_period_end=pd.Timestamp(as_of), freq="D"
    )
    for column in ("recency", "T"):
        summary[column] = summary[column] / DAYS_PER_UNIT[unit]
    return summary.sort_index()


def _assert_equal(ours: pd.DataFrame, theirs: pd.DataFrame):
    assert list(ours.index) == list(theirs.index)
    np.testing.assert_array_equal(ours["frequency"].to_numpy(), theirs["frequency"].to_numpy())
    for mine, lt in (("recency", "recency"), ("t", "T"), ("monetary_value", "monetary_value")):
        np.testing.assert_allclose(ours[mine].to_numpy(), theirs[lt].to_numpy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("unit", ["days", "weeks", "months"])
def test_cdnow_rfm_equals_lifetimes(cdnow_con, unit):
    as_of = dt.date(1998, 6, 30)
    ours = _ours(cdnow_con, as_of, unit)
    assert len(ours) == 23_570
    _assert_equal(ours, _lifetimes(cdnow_con, as_of, unit))


def test_cdnow_rfm_at_an_earlier_date_drops_later_transactions(cdnow_con):
    as_of = dt.date(1997, 9, 30)
    ours = _ours(cdnow_con, as_of, "weeks")
    assert (ours["last_purchase"] <= pd.Timestamp(as_of)).all()
    _assert_equal(ours, _lifetimes(cdnow_con, as_of, "weeks"))


def test_generated_rfm_with_returns_and_same_day_orders_equals_lifetimes(tmp_path):
    synthetic.generate(customers=4_000, seed=11, out_dir=tmp_path / "data")
    path = tmp_path / "c.yaml"
    path.write_text(
        "warehouse: {path: w.duckdb}\n"
        "sources:\n  - name: syn\n    path: data/transactions/*.parquet\n    format: parquet\n"
        "    columns: {customer_id: customer_id, order_id: order_id, order_date: order_ts, amount: amount}\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    loading.load_transactions(con, config.load(path))
    run(con, "clv/rfm")
    as_of = con.execute("select max(order_date) from staging.transactions").fetchall()[0][0]
    ours = _ours(con, as_of, "weeks")
    assert (ours["monetary_value"] < 0).any(), "returns should make some mean repeat spend negative"
    _assert_equal(ours, _lifetimes(con, as_of, "weeks"))


def test_calibration_holdout_equals_lifetimes(cdnow_con):
    cal_end, end = dt.date(1997, 9, 30), dt.date(1998, 6, 30)
    run(cdnow_con, "clv/calibration_holdout")
    ours = cdnow_con.sql("select * from calibration_holdout($c, $h, 7.0) order by customer_id",
                         params={"c": cal_end, "h": end}).df().set_index("customer_id")
    tx = cdnow_con.sql("select customer_id, order_date, amount::double as amount from staging.transactions").df()
    tx["order_date"] = pd.to_datetime(tx["order_date"])
    theirs = calibration_and_holdout_data(tx, "customer_id", "order_date", calibration_period_end=pd.Timestamp(cal_end),
                                          observation_period_end=pd.Timestamp(end), freq="D", monetary_value_col="amount")
    theirs = theirs.sort_index()
    assert list(ours.index) == list(theirs.index)
    np.testing.assert_array_equal(ours["frequency_holdout"].to_numpy(), theirs["frequency_holdout"].to_numpy())
    np.testing.assert_allclose(ours["t"].to_numpy(), theirs["T_cal"].to_numpy() / 7, atol=1e-9)


def test_windows_default_to_halves_of_the_history(cdnow_con):
    cfg = config.load(REPO / "segprof.yaml")
    w = calendar.read(cdnow_con, cfg).windows(cfg)
    assert (w.first_date, w.calibration_end, w.holdout_end, w.as_of) == (
        dt.date(1997, 1, 1), dt.date(1997, 9, 30), dt.date(1998, 6, 30), dt.date(1998, 6, 30))


def test_several_dates_in_one_pass_equal_one_date_at_a_time(cdnow_con):
    dates = [dt.date(1997, 3, 31), dt.date(1997, 12, 31), dt.date(1998, 6, 30)]
    together = pl.from_arrow(cdnow_con.sql("select * from rfm($d::date[], 7.0) order by as_of_date, customer_id",
                                           params={"d": dates}).to_arrow_table())
    for day in dates:
        alone = pl.from_arrow(cdnow_con.sql("select * from rfm([$d::date], 7.0) order by customer_id",
                                            params={"d": day}).to_arrow_table())
        assert together.filter(pl.col("as_of_date") == day).equals(alone)
