"""Incremental ingest: a new file is read alone, a changed file replaces exactly its rows, an unchanged file is
not read, a file gone takes its rows with it, and the result is always what a full load of the same files gives."""

import datetime as dt
import os

import duckdb
import pytest

from pipelines import config
from pipelines.warehouse import calendar, loading
from pipelines.warehouse.database import replace_rows, run

HEADER = "customer_id,order_id,order_date,amount"
COLUMNS = {c: c for c in HEADER.split(",")}
FIRST, SECOND, THIRD = (dt.datetime(2025, 1, d, 12, 0) for d in (1, 2, 3))


def _write(tmp_path, name: str, lines: list[str]) -> None:
    path = tmp_path / name
    existed = path.exists()
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    if existed:  # a rewrite within the file system's time resolution must still show as a change
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))


def _config(write_config, **source):
    return config.load(write_config([{"name": "shop", "path": "orders-*.csv", "format": "csv", "columns": COLUMNS, **source}],
                                    as_of_date="2030-12-31"))


def _load(con, cfg, at: dt.datetime, **kwargs):
    (load,) = loading.load_transactions(con, cfg, loaded_at=at, **kwargs)
    return load


def _rows(con) -> tuple[list, list]:
    """Accepted and rejected rows without load times, by file name and line."""
    accepted = con.execute(
        "select parse_filename(source_file), line_number, customer_id, order_id, order_ts, amount from staging.transactions "
        "order by all").fetchall()
    rejected = con.execute(
        "select parse_filename(source_file), line_number, raw_record, regexp_replace(reason, ' of .*/', ' of ') "
        "from staging.rejected_transactions order by all").fetchall()
    return accepted, rejected


def _loaded_at(con) -> dict[str, set]:
    rows = con.execute("select parse_filename(source_file), loaded_at from staging.transactions union all "
                       "select parse_filename(source_file), rejected_at from staging.rejected_transactions").fetchall()
    out: dict[str, set] = {}
    for file, at in rows:
        out.setdefault(file, set()).add(at)
    return out


def _full_load(tmp_path, cfg):
    """What a fresh warehouse holds after one load of the same files."""
    with duckdb.connect(str(tmp_path / "fresh.duckdb")) as fresh:
        loading.load_transactions(fresh, cfg, loaded_at=THIRD)
        return _rows(fresh)


def _accounted_per_file(con) -> list:
    """Files whose ledger count differs from their accepted + rejected rows (must be none)."""
    return con.execute("""
        select l.source_file, l.records_in_file, coalesce(a.n, 0) + coalesce(r.n, 0)
        from meta.source_files l
        left join (select source_file, count(*) n from staging.transactions group by 1) a using (source_file)
        left join (select source_file, count(*) n from staging.rejected_transactions group by 1) r using (source_file)
        where l.removed_at is null and l.records_in_file <> coalesce(a.n, 0) + coalesce(r.n, 0)
    """).fetchall()


def test_a_new_file_is_read_alone_and_the_result_equals_a_full_load(con, write_config, tmp_path):
    _write(tmp_path, "orders-1.csv", ["1,a,2024-01-01,5", "2,b,2024-01-02,x"])
    _write(tmp_path, "orders-2.csv", ["3,c,2024-02-01,7"])
    cfg = _config(write_config)
    first = _load(con, cfg, FIRST)
    assert (first.files, first.files_read, first.records_read) == (2, 2, 3)
    _write(tmp_path, "orders-3.csv", ["4,d,2024-03-01,8", "5,e,2024-03-02,", "1,a,2024-03-03,9"])
    second = _load(con, cfg, SECOND)
    assert (second.files, second.files_read, second.files_unchanged) == (3, 1, 2)
    assert (second.records_read, second.accepted, second.rejected) == (3, 1, 2)  # a blank amount, and 'a' repeats orders-1
    assert _loaded_at(con) == {"orders-1.csv": {FIRST}, "orders-2.csv": {FIRST}, "orders-3.csv": {SECOND}}
    ledger = dict(con.execute("select parse_filename(source_file), loaded_at from meta.source_files").fetchall())
    assert ledger == {"orders-1.csv": FIRST, "orders-2.csv": FIRST, "orders-3.csv": SECOND}
    assert _rows(con) == _full_load(tmp_path, cfg)
    assert _accounted_per_file(con) == []
    assert loading.count_records(con, cfg, cfg.sources[0]) == 6


def test_a_changed_file_replaces_exactly_its_rows(con, write_config, tmp_path):
    _write(tmp_path, "orders-1.csv", ["1,a,2024-01-01,5"])
    _write(tmp_path, "orders-2.csv", ["3,c,2024-02-01,7", "4,d,2024-02-02,x"])
    cfg = _config(write_config)
    _load(con, cfg, FIRST)
    _write(tmp_path, "orders-2.csv", ["3,c,2024-02-01,7.50", "4,d,2024-02-02,4", "5,e,2024-02-03,1"])
    load = _load(con, cfg, SECOND)
    assert (load.files_read, load.files_unchanged, load.records_read, load.accepted, load.rejected) == (1, 1, 3, 3, 0)
    assert _loaded_at(con) == {"orders-1.csv": {FIRST}, "orders-2.csv": {SECOND}}
    assert _rows(con) == _full_load(tmp_path, cfg)
    assert _accounted_per_file(con) == []


def test_an_unchanged_rerun_reads_nothing_and_writes_nothing(con, write_config, tmp_path, monkeypatch):
    _write(tmp_path, "orders-1.csv", ["1,a,2024-01-01,5"])
    _write(tmp_path, "orders-2.csv", ["3,c,2024-02-01,7", "4,d,2024-02-02,x"])
    cfg = _config(write_config)
    _load(con, cfg, FIRST)
    before = con.execute("select * from meta.source_files order by all").fetchall()
    reads = []
    monkeypatch.setattr(loading, "read_file_facts", lambda *a: reads.append(a) or pytest.fail("a file was hashed"))
    monkeypatch.setattr(loading, "iter_lines", lambda *a, **k: pytest.fail("a file was read"))
    load = _load(con, cfg, SECOND)
    assert (load.files_read, load.files_unchanged, load.records_read) == (0, 2, 0)
    assert loading.count_records(con, cfg, cfg.sources[0]) == 3  # the check's count comes from the ledger too
    assert reads == []
    assert con.execute("select * from meta.source_files order by all").fetchall() == before
    assert _loaded_at(con) == {"orders-1.csv": {FIRST}, "orders-2.csv": {FIRST}}


def test_a_touched_file_is_hashed_not_loaded(con, write_config, tmp_path):
    _write(tmp_path, "orders-1.csv", ["1,a,2024-01-01,5"])
    cfg = _config(write_config)
    _load(con, cfg, FIRST)
    path = tmp_path / "orders-1.csv"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    load = _load(con, cfg, SECOND)
    assert (load.files_read, load.files_unchanged, load.records_read) == (0, 1, 0)
    assert _loaded_at(con) == {"orders-1.csv": {FIRST}}
    # the ledger has the new time: the next run does not hash the file again
    assert loading.plan_source(con, cfg, cfg.sources[0], cfg.as_of_date).kept[0]["modified_at"] == loading.stat_file(path).modified_at


def test_a_file_gone_from_its_source_takes_its_rows_and_says_so(con, write_config, tmp_path):
    _write(tmp_path, "orders-1.csv", ["1,a,2024-01-01,5"])
    _write(tmp_path, "orders-2.csv", ["3,c,2024-02-01,7", "4,d,2024-02-02,x"])
    cfg = _config(write_config)
    _load(con, cfg, FIRST, run_id="first")
    (tmp_path / "orders-2.csv").unlink()
    load = _load(con, cfg, SECOND, run_id="second")
    assert (load.files, load.files_read, load.files_unchanged, load.files_removed) == (1, 0, 1, 1)
    assert _rows(con) == _full_load(tmp_path, cfg)
    removed = loading.removed_files(con, "second")
    assert [(r["source_file"].rsplit("/", 1)[-1], r["accepted"], r["rejected"]) for r in removed] == [("orders-2.csv", 1, 1)]
    # a file that comes back is new again
    _write(tmp_path, "orders-2.csv", ["3,c,2024-02-01,7"])
    load = _load(con, cfg, THIRD, run_id="third")
    assert (load.files_read, load.files_unchanged, load.files_removed) == (1, 1, 0)
    assert _rows(con) == _full_load(tmp_path, cfg)


@pytest.mark.parametrize("change", ["new_first_file", "first_occurrence_removed", "first_occurrence_file_deleted"])
def test_order_ids_repeated_across_files_stay_as_a_full_load_decides(con, write_config, tmp_path, change):
    _write(tmp_path, "orders-2.csv", ["1,a,2024-01-01,5", "2,b,2024-01-02,6"])
    _write(tmp_path, "orders-3.csv", ["3,a,2024-02-01,7", "4,c,2024-02-02,8"])
    cfg = _config(write_config)
    _load(con, cfg, FIRST)
    assert _rows(con)[1][0][3] == "order_id 'a' repeats line 2 of orders-2.csv"
    if change == "new_first_file":  # 'a' now first appears in a file that sorts before both
        _write(tmp_path, "orders-1.csv", ["9,a,2023-12-01,1"])
    elif change == "first_occurrence_removed":  # orders-3's 'a' is no longer a repeat
        _write(tmp_path, "orders-2.csv", ["2,b,2024-01-02,6"])
    else:
        (tmp_path / "orders-2.csv").unlink()
    load = _load(con, cfg, SECOND)
    assert load.files_unchanged == 0  # a collision reads the whole source
    assert _rows(con) == _full_load(tmp_path, cfg)
    assert con.execute("select count(*) from staging.transactions where order_id = 'a'").fetchone()[0] == 1


def test_a_new_file_repeating_an_earlier_order_id_is_read_alone(con, write_config, tmp_path):
    _write(tmp_path, "orders-1.csv", ["1,a,2024-01-01,5"])
    _write(tmp_path, "orders-2.csv", ["2,b,2024-01-02,6"])
    cfg = _config(write_config)
    _load(con, cfg, FIRST)
    _write(tmp_path, "orders-3.csv", ["3,a,2024-02-01,7"])
    load = _load(con, cfg, SECOND)
    # orders-1's line stays the first: only the new file is read, and its line is rejected pointing there
    assert (load.files_read, load.files_unchanged, load.accepted, load.rejected) == (1, 2, 0, 1)
    assert _rows(con) == _full_load(tmp_path, cfg)


def test_a_changed_source_setting_reads_every_file(con, write_config, tmp_path):
    _write(tmp_path, "orders-1.csv", ["1,a,2024-01-01,5"])
    _write(tmp_path, "orders-2.csv", ["2,b,2024-01-02,600"])
    _load(con, _config(write_config), FIRST)
    cfg = _config(write_config, max_amount=100)
    load = _load(con, cfg, SECOND)
    assert (load.files_read, load.rejected) == (2, 1)
    assert _rows(con) == _full_load(tmp_path, cfg)


def test_records_after_today_are_read_again_when_the_day_moves(con, write_config, tmp_path):
    _write(tmp_path, "orders-1.csv", ["1,a,2024-01-01,5"])
    _write(tmp_path, "orders-2.csv", ["2,b,2025-01-02,6"])  # after the first load's day
    cfg = config.load(write_config([{"name": "shop", "path": "orders-*.csv", "format": "csv", "columns": COLUMNS}]))
    assert _load(con, cfg, FIRST).rejected == 1
    load = _load(con, cfg, THIRD)
    assert (load.files_read, load.files_unchanged, load.accepted, load.rejected) == (1, 1, 1, 0)


def test_full_refresh_reads_everything_and_equals_a_fresh_load(con, write_config, tmp_path):
    _write(tmp_path, "orders-1.csv", ["1,a,2024-01-01,5"])
    _write(tmp_path, "orders-2.csv", ["2,b,2024-01-02,x"])
    cfg = _config(write_config)
    _load(con, cfg, FIRST)
    load = _load(con, cfg, SECOND, full_refresh=True)
    assert (load.files_read, load.files_unchanged, load.records_read) == (2, 0, 2)
    assert _loaded_at(con) == {"orders-1.csv": {SECOND}, "orders-2.csv": {SECOND}}
    assert _rows(con) == _full_load(tmp_path, cfg)


def test_parquet_files_are_incremental_too(con, write_config, tmp_path):
    import polars as pl

    for month in (1, 2):
        pl.DataFrame({"customer_id": [str(month)], "order_id": [f"o{month}"], "order_date": [dt.date(2024, month, 1)],
                      "amount": [5.0 * month]}).write_parquet(tmp_path / f"orders-{month}.parquet")
    cfg = config.load(write_config([{"name": "pq", "path": "orders-*.parquet", "format": "parquet", "columns": COLUMNS}],
                                   as_of_date="2030-12-31"))
    _load(con, cfg, FIRST)
    pl.DataFrame({"customer_id": ["3", None], "order_id": ["o3", "o4"], "order_date": [dt.date(2024, 3, 1)] * 2,
                  "amount": [1.0, 2.0]}).write_parquet(tmp_path / "orders-3.parquet")
    load = _load(con, cfg, SECOND)
    assert (load.files_read, load.files_unchanged, load.records_read, load.accepted, load.rejected) == (1, 2, 2, 1, 1)
    assert _rows(con) == _full_load(tmp_path, cfg)
    assert _accounted_per_file(con) == []


def _publish_fingerprints(con) -> None:
    """What a published run does with the fingerprints (pipelines/publish.py: record_run)."""
    run(con, "meta/published_fingerprints")
    replace_rows(con, "meta.period_fingerprints", source="_published_fingerprints")


def test_a_late_record_reports_exactly_its_closed_period(con, write_config, tmp_path):
    months = {1: "2024-01-15", 2: "2024-02-15", 3: "2024-03-15", 4: "2024-04-15"}
    for month, day in months.items():
        _write(tmp_path, f"orders-{month}.csv", [f"{month},o{month},{day},10"])
    cfg = config.load(write_config([{"name": "shop", "path": "orders-*.csv", "format": "csv", "columns": COLUMNS}],
                                   as_of_date="2024-04-15"))
    _load(con, cfg, FIRST)
    assert loading.record_period_fingerprints(con, cfg) == []  # nothing published yet: nothing to compare with
    _publish_fingerprints(con)
    # A new file with next month's data and one late record in February; the open April gains a record too.
    _write(tmp_path, "orders-5.csv", ["7,late,2024-02-20,3", "8,o8,2024-04-15,1"])
    _load(con, cfg, SECOND)
    assert loading.record_period_fingerprints(con, cfg) == [dt.date(2024, 2, 1)]
    # Unchanged since: nothing to report once published; a correction to a closed month is reported again.
    _publish_fingerprints(con)
    assert loading.record_period_fingerprints(con, cfg) == []
    _write(tmp_path, "orders-1.csv", ["1,o1,2024-01-15,11"])
    _load(con, cfg, THIRD)
    assert loading.record_period_fingerprints(con, cfg) == [dt.date(2024, 1, 1)]
    # Rows moved between files are not a change in a period's inputs.
    _publish_fingerprints(con)
    _write(tmp_path, "orders-5.csv", ["8,o8,2024-04-15,1"])
    _write(tmp_path, "orders-6.csv", ["7,late,2024-02-20,3"])
    _load(con, cfg, THIRD)
    assert loading.record_period_fingerprints(con, cfg) == []


def test_an_emptied_closed_period_is_reported(con, write_config, tmp_path):
    for month in (1, 2, 3):
        _write(tmp_path, f"orders-{month}.csv", [f"{month},o{month},2024-0{month}-10,10"])
    cfg = config.load(write_config([{"name": "shop", "path": "orders-*.csv", "format": "csv", "columns": COLUMNS}],
                                   as_of_date="2024-03-31", profit={"period": "quarter"}))
    _load(con, cfg, FIRST)
    loading.record_period_fingerprints(con, cfg)
    _publish_fingerprints(con)
    (tmp_path / "orders-1.csv").unlink()
    _load(con, cfg, SECOND)
    assert loading.record_period_fingerprints(con, cfg) == [dt.date(2024, 1, 1)]
    assert calendar.period_label(dt.date(2024, 1, 1), "quarter") == "2024Q1"




# --- Through `segprof run`: the whole pipeline on generated data split into monthly files ---------------------

RUN_COLUMNS = ("run_id", "loaded_at", "rejected_at")
COMPARED = ("staging.transactions", "staging.rejected_transactions", "staging.customers", "clv.customer_clv",
            "profit.customer_profit", "profit.segment_profitability", "scorecards.segment_scorecard")


PERIOD_COLUMN = {"clv.customer_clv": "period_end", "profit.customer_profit": "period_start",
                 "profit.segment_profitability": "period_start"}


def _tables(path, until: dt.date | None = None) -> dict[str, list]:
    """The compared tables' rows, run ids and load times aside; with `until`, the per-period tables' rows before it."""
    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for table in COMPARED if until is None else PERIOD_COLUMN:
            schema, name = table.split(".")
            columns = [c for (c,) in con.execute("select column_name from duckdb_columns() where schema_name = ? and "
                                                 "table_name = ? order by column_index", [schema, name]).fetchall()
                       if c not in RUN_COLUMNS]
            where = f" where {PERIOD_COLUMN[table]} < ?" if until else ""
            out[table] = con.execute(f"select {', '.join(columns)} from {table}{where} order by all",
                                     [until] if until else None).fetchall()
    return out


def _segprof_run(path, capsys, *options) -> list[str]:
    from pipelines import cli

    capsys.readouterr()
    assert cli.main(["run", "--config", str(path), *options]) == 0
    return capsys.readouterr().out.splitlines()


@pytest.mark.slow  # four pipeline runs: about two minutes on two shared cores
def test_a_run_with_a_new_month_and_a_late_record_equals_a_fresh_run(small, tmp_path, capsys):
    import polars as pl
    import yaml

    data = pl.read_parquet(tmp_path / "data" / "transactions" / "*.parquet").with_columns(
        month=pl.col("order_ts").dt.strftime("%Y-%m"))
    months = sorted(data["month"].unique())
    folder = tmp_path / "data" / "monthly"
    folder.mkdir()
    for month in months[:-1]:
        data.filter(pl.col("month") == month).drop("month").write_parquet(folder / f"{month}.parquet")
    configs = {}
    for name in ("incremental", "fresh"):
        body = yaml.safe_load(small.read_text())
        body["warehouse"] = {"path": f"{name}/w.duckdb"}
        body["sources"][0]["path"] = "data/monthly/*.parquet"
        configs[name] = tmp_path / f"{name}.yaml"
        configs[name].write_text(yaml.safe_dump(body))
    _segprof_run(configs["incremental"], capsys)
    # The last month arrives, with a late record dated in an earlier, closed month.
    data.filter(pl.col("month") == months[-1]).drop("month").write_parquet(folder / f"{months[-1]}.parquet")
    late = data.filter(pl.col("month") == months[-4]).head(1).with_columns(order_id=pl.lit("late-1")).drop("month")
    late.write_parquet(folder / "late.parquet")
    first = _tables(tmp_path / "incremental" / "w.duckdb", until=dt.date.fromisoformat(months[-4] + "-01"))
    out = _segprof_run(configs["incremental"], capsys)
    assert f"source files       2 read, {len(months) - 1} unchanged" in out
    assert f"inputs changed     {months[-4]}" in out
    assert f"restated           {', '.join(months[-4:-1])}  (inputs changed in {months[-4]}; see meta.runs.restated)" in out
    # The periods before the late record's are kept as published.
    assert _tables(tmp_path / "incremental" / "w.duckdb", until=dt.date.fromisoformat(months[-4] + "-01")) == first
    with duckdb.connect(str(tmp_path / "incremental" / "w.duckdb"), read_only=True) as con:
        runs = con.execute("select inputs_changed, restated from meta.runs order by finished_at").fetchall()
    restated = [dt.date.fromisoformat(m + "-01") for m in months[-4:-1]]
    assert runs == [(None, []), ([restated[0]], restated)]
    _segprof_run(configs["fresh"], capsys)
    fresh = _tables(tmp_path / "fresh" / "w.duckdb")
    assert _tables(tmp_path / "incremental" / "w.duckdb") == fresh
    out = _segprof_run(configs["incremental"], capsys, "--full-refresh")
    assert f"source files       {len(months) + 1} read, 0 unchanged" in out
    assert not any(line.startswith("inputs changed") for line in out)
    assert _tables(tmp_path / "incremental" / "w.duckdb") == fresh


@pytest.mark.slow  # two pipeline runs and a refused one
def test_forbidden_restatement_stops_the_run_and_publishes_nothing(small, tmp_path, capsys):
    import hashlib

    import polars as pl
    import yaml

    from pipelines import cli

    body = yaml.safe_load(small.read_text())
    body["history"] = {"restatement": "forbid"}
    small.write_text(yaml.safe_dump(body))
    _segprof_run(small, capsys)
    _segprof_run(small, capsys)  # the same data again is no restatement
    published = tmp_path / "bi" / "published.duckdb"
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    data = pl.read_parquet(tmp_path / "data" / "transactions" / "*.parquet")
    first = data["order_ts"].min()
    late = data.filter(pl.col("order_ts").dt.strftime("%Y-%m") == f"{first:%Y-%m}").head(1).with_columns(order_id=pl.lit("late-1"))
    late.write_parquet(tmp_path / "data" / "transactions" / "late.parquet")
    assert cli.main(["run", "--config", str(small)]) == 1
    err = capsys.readouterr().err
    assert f"this run would restate closed periods {first:%Y-%m}, " in err
    assert f"(inputs changed in {first:%Y-%m}); history.restatement is 'forbid'" in err
    assert "Restore the source files as they were, or set history.restatement: allow" in err
    assert "nothing was published" in err
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
