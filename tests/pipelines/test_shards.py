"""Shards: a sharded run gives the same warehouse as an unsharded one, row for row."""

import duckdb
import pytest
import yaml

from pipelines import cli, config as config_module
from pipelines.orchestration.code_location import build_defs
from pipelines.orchestration.shard_assets import shard_assets
from pipelines.warehouse.sharding import shard_keys
from tests.conftest import REPO

# Columns that record when or in which run a row was written, not what it says.
RUN_COLUMNS = {"loaded_at", "rejected_at", "fitted_at", "fit_seconds", "run_id"}
TABLES = [
    "staging.transactions", "staging.rejected_transactions", "staging.customers",
    "clv.customer_rfm", "clv.model_runs", "clv.customer_clv",
    "profit.customer_profit", "profit.customer_segments", "profit.segment_profitability", "profit.segment_migration",
    "profit.segment_equity_bridge", "profit.segment_contribution_bridge", "profit.segment_dimension_profit", "profit.whale_curve", "profit.whale_curve_summary", "profit.at_risk_customers", "scorecards.segment_scorecard",
]
BROKEN_CSV = """customer_id,order_date,amount
c-1,2021-03-01,10.00
c-1,2021-03-09,12.50
c-2,2021-13-01,5.00
,2021-04-01,7.00
c-3,2021-05-01,abc
c-4,2021-05-02
c-5,2021-06-01,20.00
c-5,2021-06-01,5.00
c-6,2021-07-15,-3.00
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The synthetic config on generated data plus a broken CSV source, run unsharded and with 3 shards."""
    tmp = tmp_path_factory.mktemp("shards")
    assert cli.main(["generate", "--customers", "6000", "--seed", "11", "--out", str(tmp / "data")]) == 0
    (tmp / "broken.csv").write_text(BROKEN_CSV)
    base = yaml.safe_load((REPO / "configs" / "synthetic.yaml").read_text())
    base["sources"][0]["path"] = str(tmp / "data" / "transactions" / "*.parquet")
    base["sources"].append({"name": "shop", "path": str(tmp / "broken.csv"), "format": "csv",
                            "columns": {"customer_id": "customer_id", "order_date": "order_date", "amount": "amount"}})
    base["customer_attributes"]["path"] = str(tmp / "data" / "customers.parquet")
    paths = {}
    for name, shards in (("unsharded", 1), ("sharded", 3)):
        config = {**base, "warehouse": {"path": str(tmp / name / "w.duckdb"), "shards": shards, "shard_workers": 2}}
        path = tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config))
        assert cli.main(["run", "--config", str(path)]) == 0
        paths[name] = tmp / name
    return paths


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    schema, name = table.split(".")
    rows = con.execute("select column_name from duckdb_columns() where database_name = 'a' and schema_name = ? "
                       "and table_name = ? order by column_index", [schema, name]).fetchall()
    return ", ".join(f'"{c}"' for (c,) in rows if c not in RUN_COLUMNS)


@pytest.mark.slow  # an unsharded and a 3-shard run of 6,000 customers
def test_sharded_run_equals_unsharded(runs):
    _assert_same_tables(runs, TABLES)


def _assert_same_tables(runs, tables: list[str]) -> None:
    with duckdb.connect() as con:
        con.execute(f"attach '{runs['unsharded'] / 'w.duckdb'}' as a (read_only)")
        con.execute(f"attach '{runs['sharded'] / 'w.duckdb'}' as b (read_only)")
        for table in tables:
            columns = _columns(con, table)
            count = con.execute(f"select count(*) from a.{table}").fetchone()[0]
            assert count > 0, f"{table} is empty"
            assert con.execute(f"select count(*) from b.{table}").fetchone()[0] == count, table
            differ = con.execute(
                f"select count(*) from ((select {columns} from a.{table} except all select {columns} from b.{table}) "
                f"union all (select {columns} from b.{table} except all select {columns} from a.{table}))"
            ).fetchone()[0]
            assert differ == 0, f"{table}: {differ} rows differ between the sharded and the unsharded run"
        rejected = con.execute("select count(*) from b.staging.rejected_transactions where source = 'shop'").fetchone()[0]
        assert rejected == 4  # bad month, blank customer, bad amount, missing field: quarantined in whichever shard


@pytest.mark.slow  # shares the two runs above
def test_every_customer_is_in_exactly_one_shard(runs):
    files = sorted(str(p) for p in (runs["sharded"] / "shards" / "transactions").glob("*.parquet"))
    assert len(files) == 3
    with duckdb.connect() as con:
        per_shard = con.execute(
            "select filename, count(distinct customer_id) from read_parquet(?, filename = true) group by all", [files]
        ).fetchall()
        spread = con.execute(
            "select max(shards) from (select customer_id, count(distinct filename) as shards "
            "from read_parquet(?, filename = true) group by customer_id)", [files]).fetchone()[0]
    assert spread == 1
    assert all(customers > 1000 for _, customers in per_shard)  # the hash spreads 6,000 customers evenly enough


def test_shards_are_static_partitions_of_the_per_customer_stages(tmp_path):
    assets = shard_assets(4)
    assert [a.key.to_user_string() for a in assets] == ["transaction_shards", "rfm_shards", "profit_shards"]
    assert all(a.partitions_def.get_partition_keys() == ["0", "1", "2", "3"] for a in assets)
    assert shard_keys(12)[:3] == ["00", "01", "02"]
    config = yaml.safe_load((REPO / "segprof.yaml").read_text())
    config["warehouse"] = {"path": str(tmp_path / "w.duckdb"), "shards": 4}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    graph = build_defs(tmp_path / "c.yaml").resolve_asset_graph()
    parents = {k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys}
               for k in graph.get_all_asset_keys()}
    assert "transaction_shards" in parents["transactions"]
    assert "rfm_shards" in parents["customer_rfm"]
    assert "profit_shards" in parents["customer_profit"]
    assert config_module.load(tmp_path / "c.yaml").sharded


def test_a_failure_in_every_shard_is_one_line_naming_the_shards(tmp_path, capsys):
    config = {"warehouse": {"path": str(tmp_path / "w.duckdb"), "shards": 2},
              "sources": [{"name": "shop", "path": str(tmp_path / "missing.csv"), "format": "csv",
                           "columns": {"customer_id": "customer_id", "order_date": "order_date", "amount": "amount"}}]}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    assert cli.main(["run", "--config", str(tmp_path / "c.yaml")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[1:] == [f"  transaction_shards: shards 0, 1: {tmp_path / 'missing.csv'}: source 'shop' (sources[0].path): file not found"]


@pytest.mark.slow  # re-runs the sharded warehouse of the runs above, so it comes last
def test_a_sharded_run_computes_only_its_planned_periods_in_the_shards(runs):
    """A restatement of the last month: the shards compute that month alone (their RFM files hold only it), and
    the warehouse still equals the unsharded run's."""
    with duckdb.connect(str(runs["unsharded"] / "w.duckdb"), read_only=True) as con:
        dates = [d for (d,) in con.execute("select distinct period_end from clv.customer_rfm order by 1").fetchall()]
    assert len(dates) > 12
    assert cli.main(["run", "--config", str(runs["sharded"].parent / "sharded.yaml"), "--restate", f"{dates[-1]:%Y-%m}"]) == 0
    files = sorted(str(p) for p in (runs["sharded"] / "shards" / "customer_rfm").glob("*.parquet"))
    with duckdb.connect() as con:
        assert con.execute("select distinct period_end from read_parquet(?)", [files]).fetchall() == [(dates[-1],)]
        # the P&L base reaches back only as far as marketing needs (profit.marketing.active_months), not to the start
        profit_files = sorted(str(p) for p in (runs["sharded"] / "shards" / "customer_profit_base").glob("*.parquet"))
        first, last = con.execute("select min(period_start), max(period_start) from read_parquet(?)", [profit_files]).fetchone()
        assert last == dates[-1].replace(day=1) and first > dates[0]
    _assert_same_tables(runs, [t for t in TABLES if t != "clv.model_runs"])  # the registry also keeps the restating run's fits
