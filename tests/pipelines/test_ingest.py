"""Ingestion: every record accepted or quarantined with a reason; loads replace, never duplicate or lose data."""

import datetime as dt
import re

import polars as pl
import pytest

from pipelines import config
from pipelines.errors import SourceError
from pipelines.warehouse import loading

LOADED_AT = dt.datetime(2025, 1, 1, 12, 0)


def _load(con, config_path):
    return loading.load_transactions(con, config.load(config_path), loaded_at=LOADED_AT)


def _rejected(con) -> dict[int, str]:
    return dict(con.execute("select line_number, reason from staging.rejected_transactions").fetchall())


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("2,b,2024-13-01,3", "order_date '2024-13-01' is not a date in format ISO 8601 (YYYY-MM-DD)"),
        ("2,b,,3", "order_date is blank"),
        ("2,b,2031-01-01,3", "order_date 2031-01-01 is after the as-of date 2030-12-31"),
        ("2,b,1899-12-31,3", "order_date 1899-12-31 is before 1900-01-01"),
        (" ,b,2024-01-01,3", "customer_id is blank"),
        ("2,,2024-01-01,3", "order_id is blank"),
        ("2,b,2024-01-01,abc", "amount 'abc' is not a number"),
        ("2,b,2024-01-01,", "amount is blank"),
        ("2,b,2024-01-01,NaN", "amount is NaN"),
        ("2,b,2024-01-01,-inf", "amount '-inf' is infinite"),
        ("2,b,2024-01-01,1e300", "amount '1e300' is too large for DECIMAL(18,2)"),
        ("2,b,2024-01-01", "wrong number of fields: expected 4, found 3"),
        ("2,b,2024-01-01,3,x", "wrong number of fields: expected 4, found 5"),
        ('2,b"c,2024-01-01,3', "malformed quoting"),
        ('2,"b,2024-01-01,3', "malformed quoting"),
        ("", "blank line"),
        ("1,a,2024-01-05,7", "order_id 'a' repeats line 2 of"),
    ],
)
def test_each_rejection_reason(con, write_config, csv_source, line, reason):
    path = write_config([csv_source(["1,a,2024-01-01,5", line, "3,z,2024-01-02,6"])], as_of_date="2030-12-31")
    (load,) = _load(con, path)
    assert (load.records_read, load.accepted, load.rejected) == (3, 2, 1)
    rejected = _rejected(con)
    assert list(rejected) == [3]
    assert rejected[3].startswith(reason)


def test_invalid_utf8_is_quarantined_with_its_bytes(con, write_config, csv_source, tmp_path):
    source = csv_source(["1,a,2024-01-01,5"])
    with open(tmp_path / "orders.csv", "ab") as f:
        f.write(b"2,b,2024-01-02,\xff\xfe\n3,c,2024-01-03,4\n")
    (load,) = _load(con, write_config([source]))
    assert (load.records_read, load.accepted, load.rejected) == (3, 2, 1)
    raw, reason = con.execute("select raw_record, reason from staging.rejected_transactions").fetchone()
    assert reason == "invalid UTF-8 in the record"
    assert raw == "2,b,2024-01-02,\\xFF\\xFE"


def test_dates_after_today_are_rejected_without_an_as_of_date(con, write_config, csv_source):
    (load,) = _load(con, write_config([csv_source(["1,a,2024-01-01,5", "2,b,2099-01-01,5"])]))
    assert load.rejected == 1
    assert _rejected(con)[3] == "order_date 2099-01-01 is after today 2025-01-01"


def test_returns_zero_amounts_quotes_and_crlf_are_accepted(con, write_config, csv_source):
    text = 'customer_id,order_id,order_date,amount\r\n1,a,2024-01-01,-5.25\r\n2,"b,""x""",2024-01-02,0\r\n'
    (load,) = _load(con, write_config([csv_source(text)]))
    assert (load.accepted, load.rejected) == (2, 0)
    rows = con.execute("select customer_id, order_id, amount::varchar from staging.transactions order by 1").fetchall()
    assert rows == [("1", "a", "-5.25"), ("2", 'b,"x"', "0.00")]


def test_records_read_equal_accepted_plus_rejected(con, write_config, csv_source):
    lines = [f"{i},o{i},2024-01-{1 + i % 28:02d},{'x' if i % 7 == 0 else i}" for i in range(1, 501)]
    cfg = config.load(write_config([csv_source(lines)]))
    (load,) = loading.load_transactions(con, cfg, loaded_at=LOADED_AT)
    counted = loading.count_records(con, cfg, cfg.sources[0])
    assert load.records_read == 500 == counted
    assert load.accepted + load.rejected == 500
    assert load.rejected == len([i for i in range(1, 501) if i % 7 == 0])


def test_text_source_without_order_ids_keeps_repeated_lines(con, write_config, tmp_path):
    (tmp_path / "log.txt").write_text(" 001 20240101 1  9.99\n 001 20240101 1  9.99\n  002 20240102  2 5.00\n")
    source = {
        "name": "log", "path": "log.txt", "format": "text", "header": False,
        "names": ["id", "day", "n", "value"], "date_format": "%Y%m%d",
        "columns": {"customer_id": "id", "order_date": "day", "quantity": "n", "amount": "value"},
        "defaults": {"category": "music"},
    }
    (load,) = _load(con, write_config([source]))
    assert (load.accepted, load.rejected) == (3, 0)
    rows = con.execute(
        "select customer_id, order_id, order_date::varchar, quantity, category from staging.transactions order by line_number"
    ).fetchall()
    assert rows == [
        ("001", "log:log.txt:1", "2024-01-01", 1, "music"),
        ("001", "log:log.txt:2", "2024-01-01", 1, "music"),
        ("002", "log:log.txt:3", "2024-01-02", 2, "music"),
    ]


def test_reload_replaces_rows_without_duplicates(con, write_config, csv_source, tmp_path):
    path = write_config([csv_source(["1,a,2024-01-01,5", "2,b,2024-01-02,x"])])
    _load(con, path)
    _load(con, path)
    assert con.execute("select count(*) from staging.transactions").fetchone()[0] == 1
    assert con.execute("select count(*) from staging.rejected_transactions").fetchone()[0] == 1
    # A changed file replaces the source's old rows, accepted and rejected alike.
    csv_source(["1,a,2024-01-01,5", "2,b,2024-01-02,6", "3,c,2024-01-03,7"])
    _load(con, path)
    assert con.execute("select count(*) from staging.transactions").fetchone()[0] == 3
    assert con.execute("select count(*) from staging.rejected_transactions").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("delete", "orders.csv: source 'shop' (sources[1].path): file not found"),
        ("empty", "orders.csv: source 'shop': file is empty"),
        ("header_only", "orders.csv: source 'shop': file has a header line but no records"),
        ("no_amount_column", "column 'amount' (mapped to amount) is not in the file; its columns are: customer_id, order_id, order_date, total"),
    ],
)
def test_a_failed_load_leaves_earlier_data_intact(con, write_config, csv_source, tmp_path, breakage, message):
    other = csv_source(["9,x,2024-02-01,1"], name="other", file="other.csv")
    path = write_config([other, csv_source(["1,a,2024-01-01,5", "2,b,2024-01-02,6"])])
    _load(con, path)
    before = con.execute("select * from staging.transactions order by all").fetchall()
    file = tmp_path / "orders.csv"
    if breakage == "delete":
        file.unlink()
    elif breakage == "empty":
        file.write_text("")
    elif breakage == "header_only":
        file.write_text("customer_id,order_id,order_date,amount\n")
    else:
        file.write_text("customer_id,order_id,order_date,total\n1,a,2024-01-01,5\n")
    with pytest.raises(SourceError, match=re.escape(message)):
        _load(con, path)
    assert con.execute("select * from staging.transactions order by all").fetchall() == before


def test_a_failure_inside_the_replace_rolls_back(con, write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"])])
    _load(con, path)
    csv_source(["1,a,2024-01-01,5", "2,b,2024-01-02,6"])

    class FailingInsert:
        """The connection, except that inserting the quarantine's rows fails (after the accepted rows are in)."""

        def __getattr__(self, name):
            return getattr(con, name)

        def execute(self, sql, *args, **kwargs):
            if sql.startswith("insert into staging.rejected_transactions"):
                raise RuntimeError("disk full")
            return con.execute(sql, *args, **kwargs)

    with pytest.raises(RuntimeError):
        _load(FailingInsert(), path)
    assert con.execute("select count(*) from staging.transactions").fetchone()[0] == 1


def test_parquet_source_with_bad_rows(con, write_config, tmp_path):
    pl.DataFrame({
        "cust": ["1", "2", None, "4"],
        "oid": ["a", "b", "c", "a"],
        "ts": [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 3), dt.datetime(2024, 1, 4)],
        "value": [5.0, float("nan"), 1.0, 2.0],
    }).write_parquet(tmp_path / "t.parquet")
    source = {"name": "pq", "path": "*.parquet", "format": "parquet",
              "columns": {"customer_id": "cust", "order_id": "oid", "order_date": "ts", "amount": "value"}}
    (load,) = _load(con, write_config([source]))
    assert (load.records_read, load.accepted, load.rejected) == (4, 1, 3)
    rejected = _rejected(con)
    assert rejected == {2: "amount is NaN", 3: "customer_id is blank", 4: "order_id 'a' repeats line 1 of " + str(tmp_path / "t.parquet")}
    raw = con.execute("select raw_record from staging.rejected_transactions where line_number = 2").fetchone()[0]
    assert '"customer_id":"2"' in raw and '"order_id":"b"' in raw


def test_line_splitting_across_chunk_boundaries(tmp_path):
    text = b"h\nalpha\n\nbeta\r\ngamma-long-line\nlast-without-newline"
    path = tmp_path / "f.txt"
    path.write_bytes(text)
    for chunk_bytes in (1, 3, 7, 64):
        tables = list(loading.iter_lines(path, first_line=2, chunk_bytes=chunk_bytes))
        numbers = [n for t in tables for n in t["line_number"].to_pylist()]
        raw = [r for t in tables for r in t["raw"].to_pylist()]
        assert numbers == [2, 3, 4, 5, 6]
        assert raw == [b"alpha", b"", b"beta\r", b"gamma-long-line", b"last-without-newline"]


def test_customers_with_attributes(con, write_config, csv_source, tmp_path):
    pl.DataFrame({"id": ["1", "2"], "tier": ["gold", "silver"]}).write_parquet(tmp_path / "attrs.parquet")
    path = write_config(
        [csv_source(["1,a,2024-01-01,5", "1,b,2024-01-03,-2", "2,c,2024-01-02,6"])],
        customer_attributes={"path": "attrs.parquet", "customer_id": "id"},
    )
    cfg = config.load(path)
    loading.load_transactions(con, cfg, loaded_at=LOADED_AT)
    assert loading.build_customers(con, cfg) == 2
    rows = con.execute(
        "select customer_id, first_purchase::varchar, last_purchase::varchar, orders, revenue::varchar, "
        "returns_amount::varchar, tier from staging.customers order by 1"
    ).fetchall()
    assert rows == [("1", "2024-01-01", "2024-01-03", 2, "3.00", "2.00", "gold"), ("2", "2024-01-02", "2024-01-02", 1, "6.00", None, "silver")]


def test_customer_attribute_columns_are_documented_and_a_customer_twice_is_refused(con, write_config, csv_source, tmp_path):
    pl.DataFrame({"id": ["1", "2"], "tier": ["gold", "silver"]}).write_parquet(tmp_path / "attrs.parquet")
    path = write_config([csv_source(["1,a,2024-01-01,5", "2,c,2024-01-02,6"])],
                        customer_attributes={"path": "attrs.parquet", "customer_id": "id"})
    cfg = config.load(path)
    loading.load_transactions(con, cfg, loaded_at=LOADED_AT)
    loading.build_customers(con, cfg)
    comment = con.execute("select comment from duckdb_columns() where table_name = 'customers' and column_name = 'tier'").fetchone()[0]
    assert comment.startswith("Customer attribute, as in the customer attributes file")
    pl.DataFrame({"id": ["1", "1"], "tier": ["gold", "silver"]}).write_parquet(tmp_path / "attrs.parquet")
    with pytest.raises(SourceError, match="customer attributes: a customer_id appears more than once"):
        loading.build_customers(con, cfg)
