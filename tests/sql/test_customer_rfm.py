"""sql/clv/rfm.sql equals lifetimes.utils.summary_data_from_transaction_data(freq='D') for every customer: under
purchase_day any_line always, under net_positive (the default) without returns, and with returns on the purchase
days the policy keeps, valued at their sales lines."""

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from lifetimes.utils import _find_first_transactions, calibration_and_holdout_data, summary_data_from_transaction_data

from models.clv import DAYS_PER_UNIT
from models import synthetic
from pipelines import config
from pipelines.warehouse import calendar, loading
from pipelines.warehouse.database import read_sql, run
from tests.conftest import REPO


@pytest.fixture(scope="module")
def cdnow_con(tmp_path_factory):
    con = duckdb.connect(str(tmp_path_factory.mktemp("rfm") / "w.duckdb"))
    loading.load_transactions(con, config.load(REPO / "segprof.yaml"))
    run(con, "clv/rfm")
    yield con
    con.close()


def _ours(con, as_of, unit, purchase_day="net_positive") -> pd.DataFrame:
    frame = pl.from_arrow(con.sql("select * from rfm([$a::date], $d::double, purchase_day := $p)",
                                  params={"a": as_of, "d": DAYS_PER_UNIT[unit], "p": purchase_day}).to_arrow_table())
    return frame.to_pandas().set_index("customer_id").sort_index()


def _transactions(con) -> pd.DataFrame:
    tx = con.sql("select customer_id, order_date, amount::double as amount from staging.transactions").df()
    tx["order_date"] = pd.to_datetime(tx["order_date"])
    return tx


def _net_positive_days(tx: pd.DataFrame) -> pd.DataFrame:
    """The policy written out in pandas: a customer's first day, and a later day when its lines net above 0 or it has
    no return line; each worth its sales lines."""
    days = tx.assign(sales=tx["amount"].clip(lower=0), returned=tx["amount"] < 0).groupby(
        ["customer_id", "order_date"], as_index=False).agg(net=("amount", "sum"), sales=("sales", "sum"), returns=("returned", "sum"))
    first = days["order_date"] == days.groupby("customer_id")["order_date"].transform("min")
    kept = days[first | (days["net"] > 0) | (days["returns"] == 0)]
    return kept.rename(columns={"sales": "amount"})[["customer_id", "order_date", "amount"]]


def _lifetimes(con, as_of, unit, tx: pd.DataFrame | None = None) -> pd.DataFrame:
    tx = _transactions(con) if tx is None else tx
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


def _generated(tmp_path, return_rate: float = 0.03) -> duckdb.DuckDBPyConnection:
    synthetic.generate(customers=4_000, seed=11, out_dir=tmp_path / "data", params=synthetic.Parameters(return_rate=return_rate))
    path = tmp_path / "c.yaml"
    path.write_text(
        "warehouse: {path: w.duckdb}\n"
        "sources:\n  - name: syn\n    path: data/transactions/*.parquet\n    format: parquet\n"
        "    columns: {customer_id: customer_id, order_id: order_id, order_date: order_ts, amount: amount}\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    loading.load_transactions(con, config.load(path))
    run(con, "clv/rfm")
    return con


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """4,000 generated customers whose purchases are sometimes partly returned later, and their last day."""
    con = _generated(tmp_path_factory.mktemp("generated"))
    yield con, con.execute("select max(order_date) from staging.transactions").fetchall()[0][0]
    con.close()


def test_generated_rfm_with_returns_and_same_day_orders_equals_lifetimes_under_any_line(generated):
    con, as_of = generated
    ours = _ours(con, as_of, "weeks", "any_line")
    assert (ours["monetary_value"] < 0).any(), "returns should make some mean repeat spend negative"
    _assert_equal(ours, _lifetimes(con, as_of, "weeks"))


def test_return_only_days_are_no_purchases_under_net_positive(generated):
    con, as_of = generated
    ours, any_line = _ours(con, as_of, "weeks"), _ours(con, as_of, "weeks", "any_line")
    # 852 of the 31,776 customer days are no purchase: 845 return-only days and 7 whose returns outweigh that
    # day's sales. Repeat purchase days fall from 27,776 to 26,924 (3.1 %); 698 customers lose some, and 132 of
    # them an earlier last purchase (recency).
    days = con.sql("select count(*), count(*) filter (where not is_purchase), count(*) filter (where sales_amount = 0) "
                   "from customer_days($a, 'net_positive')", params={"a": as_of}).fetchall()[0]
    assert days == (31_776, 852, 845)
    assert (any_line["frequency"].sum(), ours["frequency"].sum()) == (27_776, 26_924)
    assert ((ours["frequency"] < any_line["frequency"]).sum(), (ours["recency"] < any_line["recency"]).sum()) == (698, 132)
    assert (ours["frequency"] <= any_line["frequency"]).all() and (ours["monetary_value"] >= 0).all()
    # lifetimes on the days the policy keeps, each worth its sales lines, gives the same RFM
    _assert_equal(ours, _lifetimes(con, as_of, "weeks", _net_positive_days(_transactions(con))))
    # sales and returns are summed over every line, purchase day or not
    lines = con.sql("select customer_id, sum(amount) filter (where amount >= 0) as sales, -coalesce(sum(amount) filter "
                    "(where amount < 0), 0) as returned from staging.transactions group by all order by all").df().set_index("customer_id")
    np.testing.assert_allclose(ours["sales_value"].astype(float), lines["sales"].astype(float), atol=1e-9)
    np.testing.assert_allclose(ours["returned_value"].astype(float), lines["returned"].astype(float), atol=1e-9)


def test_without_returns_net_positive_equals_lifetimes(tmp_path):
    con = _generated(tmp_path, return_rate=0.0)
    as_of = con.execute("select max(order_date) from staging.transactions").fetchall()[0][0]
    ours = _ours(con, as_of, "weeks")
    assert (ours["returned_value"] == 0).all()
    _assert_equal(ours, _lifetimes(con, as_of, "weeks"))
    _assert_equal(_ours(con, as_of, "weeks", "any_line"), _lifetimes(con, as_of, "weeks"))


def test_cdnow_zero_amount_days_are_purchases(cdnow_con):
    """CDNOW has 80 zero-amount lines and no returns: under net_positive a day of zero-amount lines is a purchase,
    as lifetimes and the published CDNOW summary count it (its 2,357 customers include 8 whose only purchase is a
    zero-amount line), so both policies give the same RFM."""
    as_of = dt.date(1998, 6, 30)
    zero_days = cdnow_con.sql("select count(*) filter (where day_amount = 0), bool_and(is_purchase) "
                              "from customer_days($a, 'net_positive')", params={"a": as_of}).fetchall()[0]
    assert zero_days[1] and zero_days[0] > 0
    _assert_equal(_ours(cdnow_con, as_of, "weeks"), _ours(cdnow_con, as_of, "weeks", "any_line").rename(columns={"t": "T"}))


def test_calibration_holdout_equals_lifetimes(cdnow_con):
    cal_end, end = dt.date(1997, 9, 30), dt.date(1998, 6, 30)
    run(cdnow_con, "clv/calibration_holdout")
    ours = cdnow_con.sql("select * exclude (origin) from calibration_holdout([$c::date], [$h::date], 7.0) order by customer_id",
                         params={"c": cal_end, "h": end}).df().set_index("customer_id")
    tx = cdnow_con.sql("select customer_id, order_date, amount::double as amount from staging.transactions").df()
    tx["order_date"] = pd.to_datetime(tx["order_date"])
    theirs = calibration_and_holdout_data(tx, "customer_id", "order_date", calibration_period_end=pd.Timestamp(cal_end),
                                          observation_period_end=pd.Timestamp(end), freq="D", monetary_value_col="amount")
    theirs = theirs.sort_index()
    assert list(ours.index) == list(theirs.index)
    np.testing.assert_array_equal(ours["frequency_holdout"].to_numpy(), theirs["frequency_holdout"].to_numpy())
    np.testing.assert_allclose(ours["t"].to_numpy(), theirs["T_cal"].to_numpy() / 7, atol=1e-9)


def test_tracking_actuals_equal_lifetimes_repeat_transactions_by_week(cdnow_con):
    """The tracking plot's actual repeat purchases per week, as lifetimes' plot_incremental_transactions counts them
    (its _find_first_transactions at day level: every customer day but the first), for the customers acquired by the
    calibration end."""
    first, cal_end, end = dt.date(1997, 1, 1), dt.date(1997, 9, 30), dt.date(1998, 6, 30)
    run(cdnow_con, "clv/rfm")
    ours = dict(cdnow_con.execute(
        read_sql("clv/tracking_repeat_purchases"),
        {"holdout_end": end, "purchase_day": "any_line", "first_date": first, "calibration_end": cal_end,
         "line_days": "_line_days"}).fetchall())
    tx = cdnow_con.sql("select customer_id, order_date from staging.transactions").df()
    tx["order_date"] = pd.to_datetime(tx["order_date"])
    days = _find_first_transactions(tx, "customer_id", "order_date", observation_period_end=pd.Timestamp(end), freq="D")
    acquired = days.loc[days["first"] & (days["order_date"].dt.to_timestamp() <= pd.Timestamp(cal_end)), "customer_id"]
    repeats = days[~days["first"] & days["customer_id"].isin(acquired)]
    weeks = (repeats["order_date"].dt.to_timestamp() - pd.Timestamp(first)).dt.days // 7 + 1
    assert ours == weeks.value_counts().sort_index().to_dict()
    assert len(ours) > 70 and sum(ours.values()) > 10_000


def test_windows_default_to_halves_of_the_history(cdnow_con):
    cfg = config.load(REPO / "segprof.yaml")
    w = calendar.read(cdnow_con, cfg).windows(cfg)
    assert (w.first_date, w.calibration_end, w.holdout_end, w.as_of) == (
        dt.date(1997, 1, 1), dt.date(1997, 9, 30), dt.date(1998, 6, 30), dt.date(1998, 6, 30))


def test_several_dates_in_one_pass_equal_one_date_at_a_time(cdnow_con):
    dates = [dt.date(1997, 3, 31), dt.date(1997, 12, 31), dt.date(1998, 6, 30)]
    together = pl.from_arrow(cdnow_con.sql("select * from rfm($d::date[], 7.0) order by period_end, customer_id",
                                           params={"d": dates}).to_arrow_table())
    for day in dates:
        alone = pl.from_arrow(cdnow_con.sql("select * from rfm([$d::date], 7.0) order by customer_id",
                                            params={"d": day}).to_arrow_table())
        assert together.filter(pl.col("period_end") == day).equals(alone)


def test_several_forecast_origins_in_one_pass_equal_one_origin_at_a_time(cdnow_con):
    """The backtests' statistics at every origin come from one call; each origin's rows are the same as its own call's,
    including two origins with the same calibration end."""
    run(cdnow_con, "clv/calibration_holdout")
    ends = [dt.date(1997, 9, 30), dt.date(1997, 6, 30), dt.date(1997, 6, 30)]
    holdouts = [dt.date(1998, 6, 30), dt.date(1998, 3, 31), dt.date(1997, 12, 31)]
    together = pl.from_arrow(cdnow_con.sql("select * from calibration_holdout($c::date[], $h::date[], 7.0) order by origin, customer_id",
                                           params={"c": ends, "h": holdouts}).to_arrow_table())
    assert together["origin"].unique().sort().to_list() == [0, 1, 2]
    for origin, (end, holdout) in enumerate(zip(ends, holdouts)):
        alone = pl.from_arrow(cdnow_con.sql("select * exclude (origin) from calibration_holdout([$c::date], [$h::date], 7.0) "
                                            "order by customer_id", params={"c": end, "h": holdout}).to_arrow_table())
        assert together.filter(pl.col("origin") == origin).drop("origin").equals(alone)
        assert alone["frequency_holdout"].sum() > 0


def test_calibration_holdout_counts_purchase_days_under_net_positive(generated):
    con, last_day = generated
    cal_end = dt.date(2024, 6, 30)
    run(con, "clv/calibration_holdout")
    ours = con.sql("select * exclude (origin) from calibration_holdout([$c::date], [$h::date], 7.0) order by customer_id",
                   params={"c": cal_end, "h": last_day}).df().set_index("customer_id")
    theirs = calibration_and_holdout_data(_net_positive_days(_transactions(con)), "customer_id", "order_date",
                                          calibration_period_end=pd.Timestamp(cal_end), observation_period_end=pd.Timestamp(last_day),
                                          freq="D", monetary_value_col="amount").sort_index()
    assert list(ours.index) == list(theirs.index)
    np.testing.assert_array_equal(ours["frequency"].to_numpy(), theirs["frequency_cal"].to_numpy())
    np.testing.assert_array_equal(ours["frequency_holdout"].to_numpy(), theirs["frequency_holdout"].to_numpy())
    np.testing.assert_allclose(ours["monetary_value_holdout"].to_numpy(), theirs["monetary_value_holdout"].to_numpy(), atol=1e-9)


def test_the_published_cdnow_sample_is_reproduced_from_its_transactions(tmp_path):
    """lifetimes ships the BG/NBD paper's 2,357-customer sample both as transactions and as the published summary.
    Under net_positive our RFM of the transactions is the published summary (8 of its customers' only purchase is a
    zero-amount line: a policy dropping zero-amount days would lose them), and BG/NBD fitted on it gives the
    paper's parameters (Fader, Hardie & Lee 2005: r 0.243, alpha 4.414, a 0.793, b 2.426)."""
    from lifetimes.datasets import load_dataset

    from models import clv

    (tmp_path / "c.yaml").write_text(
        "warehouse: {path: w.duckdb}\n"
        "sources:\n  - name: sample\n    path: package://lifetimes/datasets/CDNOW_sample.txt\n    format: text\n"
        "    header: false\n    names: [master_id, id, date, cds, amount]\n    date_format: '%Y%m%d'\n"
        "    columns: {customer_id: id, order_date: date, amount: amount}\n"
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    loading.load_transactions(con, config.load(tmp_path / "c.yaml"))
    run(con, "clv/rfm")
    ours = _ours(con, dt.date(1997, 9, 30), "weeks")
    ours.index = ours.index.astype(int)
    published = load_dataset("cdnow_customers_summary.csv", index_col=[0]).sort_index()
    assert list(ours.sort_index().index) == list(published.index)
    ours = ours.sort_index()
    np.testing.assert_array_equal(ours["frequency"].to_numpy(), published["frequency"].to_numpy())
    np.testing.assert_allclose(ours["recency"].to_numpy(), published["recency"].to_numpy(), atol=0.005)  # published to 2 decimals
    np.testing.assert_allclose(ours["t"].to_numpy(), published["T"].to_numpy(), atol=0.005)
    fit = clv.fit_purchase_model("bgnbd", pl.from_pandas(ours[["frequency", "recency", "t"]].reset_index(drop=True)))
    assert {k: float(f"{v:.4g}") for k, v in fit.params.items()} == {"r": 0.2426, "alpha": 4.414, "a": 0.7929, "b": 2.426}


def test_the_purchase_day_policy_day_by_day(write_config, csv_source):
    """c1: a sale, a zero-amount day, a return-only day, a day whose return outweighs its sale, a day netting to
    exactly 0 with a return, a day with a sale and a smaller return, a last return-only day; c2: only a return (acquired on it, as lifetimes)."""
    path = write_config([csv_source([
        "c1,o1,2024-01-01,10.00", "c1,o2,2024-01-08,0.00", "c1,r1,2024-01-15,-4.00", "c1,o3,2024-01-22,5.00",
        "c1,r2,2024-01-22,-6.00", "c1,o4,2024-01-29,3.00", "c1,r3,2024-01-29,-3.00", "c1,o5,2024-02-05,20.00",
        "c1,r4,2024-02-05,-2.00", "c1,r6,2024-02-12,-1.00", "c2,r5,2024-01-10,-7.00",
    ])])
    con = duckdb.connect(str(path.parent / "w.duckdb"))
    loading.load_transactions(con, config.load(path))
    run(con, "clv/rfm")
    as_of = dt.date(2024, 2, 29)
    ours, any_line = _ours(con, as_of, "days"), _ours(con, as_of, "days", "any_line")
    # net_positive: repeats are 01-08 (zero amount, no return) and 02-05 (nets 18, worth its sales 20)
    assert ours.loc["c1", ["frequency", "recency", "monetary_value"]].tolist() == [2, 35.0, 10.0]
    assert (float(ours.loc["c1", "sales_value"]), float(ours.loc["c1", "returned_value"])) == (38.0, 16.0)
    assert any_line.loc["c1", ["frequency", "recency"]].tolist() == [6, 42.0]
    assert any_line.loc["c1", "monetary_value"] == pytest.approx((0 - 4 - 1 + 0 + 18 - 1) / 6)
    assert ours.loc["c2", ["frequency", "recency", "t", "monetary_value"]].tolist() == [0, 0.0, 50.0, 0.0]
    assert float(ours.loc["c2", "returned_value"]) == 7.0
    _assert_equal(ours, _lifetimes(con, as_of, "days", _net_positive_days(_transactions(con))))
    _assert_equal(any_line, _lifetimes(con, as_of, "days"))


def test_a_refit_s_staged_customer_days_give_what_the_lines_give_up_to_its_date_included(cdnow_con):
    """A refit reads its customer days from a table staged once up to the refit date (sql/clv/stage_refit_days.sql):
    the tracking actuals and the fallback spend from it equal those from the lines, the refit date's own purchases
    included (CDNOW has purchases on its last day, 1998-06-30)."""
    end = dt.date(1998, 6, 30)
    run(cdnow_con, "clv/rfm")
    run(cdnow_con, "clv/stage_refit_days", {"as_of": end})
    tracking = {"holdout_end": end, "purchase_day": "any_line", "first_date": dt.date(1997, 1, 1),
                "calibration_end": dt.date(1997, 9, 30)}
    mean = {"as_of": end, "purchase_day": "any_line"}
    for name, params in (("clv/tracking_repeat_purchases", tracking), ("clv/mean_purchase_day_value", mean)):
        staged = cdnow_con.execute(read_sql(name), {**params, "line_days": "_refit_line_days"}).fetchall()
        assert staged == cdnow_con.execute(read_sql(name), {**params, "line_days": "_line_days"}).fetchall()
    assert cdnow_con.sql("select count(*) from _refit_line_days where order_date = '1998-06-30'").fetchall()[0][0] > 0
