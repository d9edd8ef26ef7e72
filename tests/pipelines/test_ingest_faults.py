"""Fault suite for ingest: exact money, per-record quarantine, text that is not what it seems, and a sweep of hostile input."""

import datetime as dt
import gzip
from decimal import Decimal

import polars as pl
import pytest

from pipelines import config
from pipelines.errors import ConfigError, SourceError
from pipelines.warehouse import loading
from pipelines.warehouse.database import relation

LOADED_AT = dt.datetime(2025, 1, 1, 12, 0)
HEADER = b"customer_id,order_id,order_date,amount,quantity,unit_cost"
COLUMNS = {"customer_id": "customer_id", "order_id": "order_id", "order_date": "order_date", "amount": "amount",
           "quantity": "quantity", "unit_cost": "unit_cost"}


def _source(name: str = "shop", path: str = "orders.csv", **extra) -> dict:
    return {"name": name, "path": path, "format": "csv", "columns": dict(COLUMNS), **extra}


def _write(tmp_path, lines: list[bytes], file: str = "orders.csv", header: bytes = HEADER, end: bytes = b"\n") -> None:
    (tmp_path / file).write_bytes(end.join([header, *lines]) + end)


def _load(con, path):
    return loading.load_transactions(con, config.load(path), loaded_at=LOADED_AT)


def _rejected(con) -> dict[int, str]:
    return dict(con.execute("select line_number, reason from staging.rejected_transactions").fetchall())


def _accepted(con) -> dict[int, tuple]:
    rows = con.execute("select line_number, order_ts, amount, quantity, unit_cost from staging.transactions").fetchall()
    return {r[0]: r[1:] for r in rows}


def _load_one(con, write_config, tmp_path, line: bytes, **extra):
    _write(tmp_path, [line])
    (load,) = _load(con, write_config([_source(**extra)], as_of_date="2030-12-31"))
    return load


# --- 3. Exact money, 4. per-record problems quarantined -------------------------------------------------------


def test_amount_is_parsed_from_text_exactly(con, write_config, tmp_path):
    # Through DOUBLE this became 1234567890123456.75. No max_amount: any DECIMAL(18,2) is accepted.
    _load_one(con, write_config, tmp_path, b"1,a,2024-01-01,1234567890123456.78,1,0.10", max_amount=None)
    assert _accepted(con)[2][1:] == (Decimal("1234567890123456.78"), 1, Decimal("0.10"))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"1,a,2024-01-01,1.005,1,", "amount '1.005' has more than 2 decimals"),
        (b"1,a,2024-01-01,0.000000000000000000000001,1,", "amount '0.000000000000000000000001' has more than 2 decimals"),
        (b"1,a,2024-01-01,12345678901234567,1,", "amount '12345678901234567' is too large for DECIMAL(18,2)"),
        (b"1,a,2024-01-01,5,1,0.125", "unit_cost '0.125' has more than 2 decimals"),
        (b"1,a,2024-01-01,5,1.5,", "quantity '1.5' is not a whole number"),
        # 4. Out of bounds: quarantined with the others, no longer a blocking check that stops the run.
        (b"1,a,2024-01-01,20000000,1,", "amount '20000000' is beyond max_amount 10000000"),
        (b"1,a,2024-01-01,-10000000.01,1,", "amount '-10000000.01' is beyond max_amount 10000000"),
        (b"1,a,2024-01-01,5,1,-1", "unit_cost '-1' is negative"),
    ],
)
def test_a_bad_value_is_quarantined_with_its_reason(con, write_config, tmp_path, line, reason):
    load = _load_one(con, write_config, tmp_path, line)
    assert (load.accepted, load.rejected) == (0, 1)
    assert _rejected(con) == {2: reason}


def test_fractional_parquet_quantity_is_quarantined_not_rounded(con, write_config, tmp_path):
    pl.DataFrame({"cust": ["1", "2"], "ts": [dt.date(2024, 1, 1)] * 2, "value": ["5.00", "6.00"], "n": [1.5, 2.0]}) \
        .write_parquet(tmp_path / "t.parquet")
    source = {"name": "pq", "path": "t.parquet", "format": "parquet",
              "columns": {"customer_id": "cust", "order_date": "ts", "amount": "value", "quantity": "n"}}
    (load,) = _load(con, write_config([source]))
    assert (load.accepted, load.rejected) == (1, 1)
    assert _rejected(con) == {1: "quantity '1.5' is not a whole number"}
    assert _accepted(con)[2][1:3] == (Decimal("6.00"), 2)


# --- 4. A check's sample is the same for the same data --------------------------------------------------------


def test_the_validation_sample_is_the_same_for_the_same_data(con, write_config, tmp_path):
    _write(tmp_path, [f"{i},o{i},2024-01-{1 + i % 28:02d},{i}.25,1,".encode() for i in range(300)])
    path = write_config([_source()])
    samples = []
    for loaded_at in (LOADED_AT, LOADED_AT + dt.timedelta(days=1)):
        loading.load_transactions(con, config.load(path), loaded_at=loaded_at)
        rows = relation(con, "warehouse/sample_table", {"table": "staging.transactions", "every": 3}).fetchall()
        samples.append(sorted(r[2] for r in rows))
    assert 50 < len(samples[0]) < 150
    assert samples[0] == samples[1]


# --- 5. Text that is not what it seems ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "text"])
def test_a_bom_before_the_header_is_ignored(con, write_config, tmp_path, fmt):
    sep = b"," if fmt == "csv" else b" "
    lines = [sep.join(HEADER.split(b",")[:4]), sep.join([b"1", b"a", b"2024-01-01", b"5.50"])]
    (tmp_path / "orders.csv").write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n")
    source = _source(format=fmt, columns={k: COLUMNS[k] for k in ("customer_id", "order_id", "order_date", "amount")})
    (load,) = _load(con, write_config([source]))
    assert (load.accepted, load.rejected) == (1, 0)
    assert con.execute("select customer_id, amount from staging.transactions").fetchall() == [("1", Decimal("5.50"))]


@pytest.mark.parametrize("word", ["epoch", "infinity", "-infinity", "today", "now", "yesterday", "allballs"])
@pytest.mark.parametrize("date_format", [None, "%Y-%m-%d"])
def test_special_date_words_are_not_dates(con, write_config, tmp_path, word, date_format):
    extra = {"date_format": date_format} if date_format else {}
    _write(tmp_path, [f"1,a,{word},5,1,".encode()])
    (load,) = _load(con, write_config([_source(**extra)], as_of_date="2030-12-31"))
    assert (load.accepted, load.rejected) == (0, 1)
    assert _rejected(con)[2].startswith(f"order_date '{word}' is not a date in format")


@pytest.mark.parametrize(
    ("timezone", "text", "expected"),
    [
        (None, "2024-01-01T23:30:00+02:00", dt.datetime(2024, 1, 1, 21, 30)),
        (None, "2024-01-01 23:30:00-05:00", dt.datetime(2024, 1, 2, 4, 30)),
        (None, "2024-01-01T23:30:00Z", dt.datetime(2024, 1, 1, 23, 30)),
        (None, "2024-01-01 23:30:00", dt.datetime(2024, 1, 1, 23, 30)),
        ("America/New_York", "2024-01-01T23:30:00+02:00", dt.datetime(2024, 1, 1, 16, 30)),
        ("America/New_York", "2024-07-01 12:00:00", dt.datetime(2024, 7, 1, 12, 0)),
    ],
)
def test_a_utc_offset_is_converted_not_truncated(con, write_config, tmp_path, timezone, text, expected):
    extra = {"timezone": timezone} if timezone else {}
    _write(tmp_path, [f"1,a,{text},5,1,".encode()])
    (load,) = _load(con, write_config([_source(**extra)], as_of_date="2030-12-31"))
    assert load.accepted == 1
    assert con.execute("select order_ts, order_date from staging.transactions").fetchone() == (expected, expected.date())


def test_a_utc_offset_with_a_date_format_is_converted(con, write_config, tmp_path):
    _write(tmp_path, [b"1,a,01/01/2024 23:30 +0200,5,1,"])
    source = _source(date_format="%d/%m/%Y %H:%M %z", timezone="Europe/Paris")
    (load,) = _load(con, write_config([source], as_of_date="2030-12-31"))
    assert load.accepted == 1
    assert con.execute("select order_ts from staging.transactions").fetchone()[0] == dt.datetime(2024, 1, 1, 22, 30)


def test_an_unknown_timezone_is_a_config_error(write_config):
    with pytest.raises(ConfigError, match=r"sources\[0\]\.timezone"):
        config.load(write_config([_source(timezone="Mars/Olympus")]))


def test_control_bytes_are_escaped_and_long_values_shortened_in_reasons(con, write_config, tmp_path):
    long = b"9" * 5000 + b"x"
    _write(tmp_path, [b"1,a,2024-01-01,5\x1b[31m,1,", b"1,b,2024-01-01," + long + b",1,", b"1,c,\x00" + long + b",5,1,"])
    (load,) = _load(con, write_config([_source()], as_of_date="2030-12-31"))
    assert load.rejected == 3
    reasons = _rejected(con)
    assert reasons[2] == "amount '5\\x1B[31m' is not a number"
    for reason in reasons.values():
        assert len(reason) < 200 and all(c >= " " for c in reason)
    assert reasons[3].startswith("amount '9999") and "…" in reasons[3]
    assert reasons[4].startswith("order_date '\\x009999") and "…" in reasons[4]


def test_header_problems_are_escaped_and_shortened(con, write_config, tmp_path):
    _write(tmp_path, [b"1,a,2024-01-01,5,1,"], header=b"customer_id,order_id,order_date,\x1b]0;pwned\x07" + b"z" * 5000)
    with pytest.raises(SourceError) as error:
        _load(con, write_config([_source()]))
    message = str(error.value)
    assert "orders.csv: source 'shop': column 'amount' (mapped to amount) is not in the file" in message
    assert "\\x1B]0;pwned\\x07zz" in message and len(message) < 400 and all(c >= " " for c in message)


def test_a_field_larger_than_the_csv_limit_names_the_file_and_line(con, write_config, tmp_path):
    _write(tmp_path, [b"1,a,2024-01-01,5,1,"], header=HEADER + b',"' + b"h" * 200_000 + b'"')
    with pytest.raises(SourceError, match=r"orders\.csv: source 'shop': line 1 \(header\): field larger than"):
        _load(con, write_config([_source()]))


# --- 9. The bad-input sweep -----------------------------------------------------------------------------------

LONG = b"7" * 3000
# (record, expected): expected is the accepted (order_ts, amount, quantity, unit_cost) or the start of the reason.
SWEEP = [
    (b"c1,o1,2024-01-01,1234567890123456.78,1,", (dt.datetime(2024, 1, 1), Decimal("1234567890123456.78"), 1, None)),
    (b"c2,o2,2024-01-02,-5.25,2,1.10", (dt.datetime(2024, 1, 2), Decimal("-5.25"), 2, Decimal("1.10"))),
    (b"c3,o3,2024-01-03,0,1,0", (dt.datetime(2024, 1, 3), Decimal("0.00"), 1, Decimal("0.00"))),
    (b"c4,o4,2024-01-04T23:30:00+02:00,10.50,1,", (dt.datetime(2024, 1, 4, 21, 30), Decimal("10.50"), 1, None)),
    (b"c5,o5,2024-01-04 23:30:00-05:00,10.500,1,", (dt.datetime(2024, 1, 5, 4, 30), Decimal("10.50"), 1, None)),
    (b'"c6","o,6",2024-01-06,"7.00",3,2.5', (dt.datetime(2024, 1, 6), Decimal("7.00"), 3, Decimal("2.50"))),
    (b"c7,o7,2024-01-07 10:00:00Z,+3.10,1,", (dt.datetime(2024, 1, 7, 10), Decimal("3.10"), 1, None)),
    (b"c8,o8,2024-01-08,.5,2.0,", (dt.datetime(2024, 1, 8), Decimal("0.50"), 2, None)),
    (b"c9,o9,2024-01-09,-9999999.99,1,", (dt.datetime(2024, 1, 9), Decimal("-9999999.99"), 1, None)),
    (b"c10,o10,2024-01-10,1.5e3,-1,", (dt.datetime(2024, 1, 10), Decimal("1500.00"), -1, None)),
    (b"r1,p1,2024-13-01,1,1,", "order_date '2024-13-01' is not a date"),
    (b"r2,p2,epoch,1,1,", "order_date 'epoch' is not a date"),
    (b"r3,p3,infinity,1,1,", "order_date 'infinity' is not a date"),
    (b"r4,p4,-infinity,1,1,", "order_date '-infinity' is not a date"),
    (b"r5,p5,today,1,1,", "order_date 'today' is not a date"),
    (b"r6,p6,2024-01-01 10:00:00 Europe/Paris,1,1,", "order_date '2024-01-01 10:00:00 Europe/Paris' is not a date"),
    (b"r7,p7,,1,1,", "order_date is blank"),
    (b"r8,p8,2031-01-01,1,1,", "order_date 2031-01-01 is after the as-of date 2030-12-31"),
    (b"r9,p9,1899-12-31,1,1,", "order_date 1899-12-31 is before 1900-01-01"),
    (b"r10,p10,2024-01-01,1e300,1,", "amount '1e300' is too large for DECIMAL(18,2)"),
    (b"r11,p11,2024-01-01,12345678901234567.00,1,", "amount '12345678901234567.00' is too large for DECIMAL(18,2)"),
    (b"r12,p12,2024-01-01,1.005,1,", "amount '1.005' has more than 2 decimals"),
    (b"r13,p13,2024-01-01,1.2e-05,1,", "amount '1.2e-05' has more than 2 decimals"),
    (b"r14,p14,2024-01-01,abc,1,", "amount 'abc' is not a number"),
    (b"r15,p15,2024-01-01,,1,", "amount is blank"),
    (b"r16,p16,2024-01-01,NaN,1,", "amount is NaN"),
    (b"r17,p17,2024-01-01,-inf,1,", "amount '-inf' is infinite"),
    (b'r18,p18,2024-01-01,"1,000",1,', "amount '1,000' is not a number"),
    (b"r19,p19,2024-01-01,1,000,1,", "wrong number of fields: expected 6, found 7"),
    (b"r20,p20,2024-01-01,3000000000000000,1,", "amount '3000000000000000' is beyond max_amount 2000000000000000"),
    (b"r21,p21,2024-01-01,5,1.5,", "quantity '1.5' is not a whole number"),
    (b"r22,p22,2024-01-01,5,1e2,", "quantity '1e2' is not a whole number"),
    (b"r23,p23,2024-01-01,5,,", "quantity is blank"),
    (b"r24,p24,2024-01-01,5,1,-1", "unit_cost '-1' is negative"),
    (b"r25,p25,2024-01-01,5,1,0.125", "unit_cost '0.125' has more than 2 decimals"),
    (b"r26,p26,2024-01-01,5,1,x", "unit_cost 'x' is not a number"),
    (b"r27,p27,2024-01-01,5\x1b[2J,1,", "amount '5\\x1B[2J' is not a number"),
    (b"r28,p28,2024-01-01,5\r6,1,", "amount '5\\x0D6' is not a number"),
    (b"r29,p29,2024-01-01,5\x00,1,", "amount '5\\x00' is not a number"),
    (b"r30,p30,2024-01-01," + LONG + b"x,1,", "amount '7777"),
    (b"r31,p31,2024-01-01,\xff\xfe,1,", "invalid UTF-8 in the record"),
    (b" ,p32,2024-01-01,5,1,", "customer_id is blank"),
    (b"r33,,2024-01-01,5,1,", "order_id is blank"),
    (b"r34,p34,2024-01-01", "wrong number of fields: expected 6, found 3"),
    (b'r35,p"35,2024-01-01,5,1,', "malformed quoting"),
    (b'r36,"p36,2024-01-01,5,1,', "malformed quoting"),
    (b"", "blank line"),
    (b"c1,o1,2024-02-01,5,1,", "order_id 'o1' repeats line 2 of"),
    (b'"' + LONG + b'",p39,2024-01-01,5,1,', (dt.datetime(2024, 1, 1), Decimal("5.00"), 1, None)),
]


def test_bad_input_sweep(con, write_config, tmp_path):
    (tmp_path / "in").mkdir()
    _write(tmp_path, [line for line, _ in SWEEP], file="in/a_hostile.csv")
    # A second file with a BOM and CRLF line ends: both are invisible to the records.
    _write(tmp_path, [b"b1,q1,2024-03-01,1.10,1,", b"b2,q2,2024-03-02,x,1,"], file="in/b_bom_crlf.csv",
           header=b"\xef\xbb\xbf" + HEADER, end=b"\r\n")
    cfg = config.load(write_config([_source(path="in/*.csv", max_amount=2 * 10**15)], as_of_date="2030-12-31"))
    (load,) = loading.load_transactions(con, cfg, loaded_at=LOADED_AT)

    assert len(SWEEP) >= 40
    assert load.records_read == loading.count_records(con, cfg, cfg.sources[0]) == len(SWEEP) + 2
    assert load.records_read == load.accepted + load.rejected

    def by_file(name):
        rows = con.execute(
            "select line_number, reason from staging.rejected_transactions where source_file like '%' || $f",
            {"f": name}).fetchall()
        accepted = con.execute(
            "select line_number, order_ts, amount, quantity, unit_cost from staging.transactions "
            "where source_file like '%' || $f", {"f": name}).fetchall()
        return dict(rows), {r[0]: r[1:] for r in accepted}

    rejected, accepted = by_file("a_hostile.csv")
    for number, (line, expected) in enumerate(SWEEP, start=2):
        if isinstance(expected, tuple):
            assert accepted.get(number) == expected, (number, line[:60], rejected.get(number))
        else:
            assert number in rejected, (number, line[:60])
            assert rejected[number].startswith(expected), (number, rejected[number])
            assert len(rejected[number]) < 200 and all(c >= " " for c in rejected[number])
    assert set(accepted) | set(rejected) == set(range(2, len(SWEEP) + 2))
    assert con.execute("select order_id from staging.transactions where line_number = 7").fetchone() == ("o,6",)

    rejected, accepted = by_file("b_bom_crlf.csv")
    assert accepted == {2: (dt.datetime(2024, 3, 1), Decimal("1.10"), 1, None)}
    assert rejected == {3: "amount 'x' is not a number"}
    assert con.execute("select customer_id from staging.transactions where line_number = 2 and source_file like '%b_bom_crlf.csv'"
                       ).fetchone() == ("b1",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (gzip.compress(HEADER + b"\n1,a,2024-01-01,5,1,\n"), r"broken\.csv: source 'broken': line 1 \(header\): invalid UTF-8"),
        (bytes(range(256)) * 4, r"broken\.csv: source 'broken': line 1 \(header\): "),
        (b"", r"broken\.csv: source 'broken': file is empty"),
        (HEADER + b"\r\n", r"broken\.csv: source 'broken': file has a header line but no records"),
        (b"\xef\xbb\xbfcustomer_id,order_id,order_date,quantity,unit_cost\n1,a,2024-01-01,1,\n",
         r"broken\.csv: source 'broken': column 'amount' \(mapped to amount\) is not in the file"),
        (HEADER + b',"' + b"h" * 200_000 + b'"\n1,a,2024-01-01,5,1,,x\n',
         r"broken\.csv: source 'broken': line 1 \(header\): field larger than"),
    ],
    ids=["compressed", "binary", "empty", "header_only", "missing_column", "huge_header_field"],
)
def test_a_file_level_problem_names_the_file_and_keeps_what_was_loaded(con, write_config, tmp_path, content, message):
    _write(tmp_path, [b"1,a,2024-01-01,5,1,"])
    _write(tmp_path, [b"2,b,2024-01-02,6,1,"], file="broken.csv")
    path = write_config([_source(), _source(name="broken", path="broken.csv")])
    _load(con, path)
    before = con.execute("select * from staging.transactions order by all").fetchall()
    assert len(before) == 2
    (tmp_path / "broken.csv").write_bytes(content)
    with pytest.raises(SourceError, match=message) as error:
        _load(con, path)
    assert len(str(error.value)) < 400 and all(c >= " " for c in str(error.value))
    assert con.execute("select * from staging.transactions order by all").fetchall() == before

