"""The bundled real data: the CDNOW master log from the installed lifetimes package."""

import datetime as dt

import pytest

from pipelines import config
from pipelines.warehouse import loading
from tests.conftest import REPO


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    import duckdb

    con = duckdb.connect(str(tmp_path_factory.mktemp("cdnow") / "w.duckdb"))
    cfg = config.load(REPO / "segprof.yaml")
    loads = loading.load_transactions(con, cfg)
    loading.build_customers(con, cfg)
    yield con, loads
    con.close()


def test_every_line_is_accepted(cdnow):
    con, (load,) = cdnow
    assert (load.records_read, load.accepted, load.rejected) == (69_659, 69_659, 0)


def test_customers_and_dates(cdnow):
    con, _ = cdnow
    assert con.execute("select count(*) from staging.customers").fetchone()[0] == 23_570
    first, last = con.execute("select min(order_date), max(order_date) from staging.transactions").fetchone()
    assert (first, last) == (dt.date(1997, 1, 1), dt.date(1998, 6, 30))


def test_exact_repeats_are_kept_as_separate_purchases(cdnow):
    con, _ = cdnow
    repeats = con.execute(
        "select count(*) - count(distinct (customer_id, order_date, quantity, amount)) from staging.transactions"
    ).fetchone()[0]
    assert repeats == 255


def test_values_match_the_file(cdnow):
    con, _ = cdnow
    total, zero = con.execute("select sum(amount)::varchar, count(*) filter (where amount = 0) from staging.transactions").fetchone()
    path = config.load(REPO / "segprof.yaml").source_files(config.load(REPO / "segprof.yaml").sources[0])[0]
    cents = sum(round(float(line.split()[3]) * 100) for line in path.read_text().splitlines()[1:])
    assert total == f"{cents / 100:.2f}"
    assert zero == 80
    assert con.execute("select customer_id from staging.transactions where line_number = 2").fetchone()[0] == "00001"
