"""End to end on generated data at a size where chunking and Parquet globs matter."""

import json

import duckdb
import pytest
import yaml

from pipelines import cli
from tests.conftest import QUICK_CLV, REPO


@pytest.mark.slow
def test_synthetic_million_transactions_through_the_cli(tmp_path, capsys):
    out = tmp_path / "data"
    assert cli.main(["generate", "--customers", "125000", "--seed", "3", "--out", str(out)]) == 0
    info = json.loads((out / "parameters.json").read_text())
    assert info["transactions"] > 1_000_000
    config = yaml.safe_load((REPO / "configs" / "synthetic.yaml").read_text())
    config["warehouse"]["path"] = str(tmp_path / "w.duckdb")
    config["sources"][0]["path"] = str(out / "transactions" / "*.parquet")
    config["customer_attributes"]["path"] = str(out / "customers.parquet")
    config["clv"] = QUICK_CLV  # this test is about size (chunks, Parquet globs), not the model choice
    path = tmp_path / "synthetic.yaml"
    path.write_text(yaml.safe_dump(config))
    capsys.readouterr()
    assert cli.main(["run", "--config", str(path)]) == 0
    out_lines = capsys.readouterr().out
    assert f"records read       {info['transactions']:,}" in out_lines
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        accepted, rejected, customers, loyal = con.execute(
            "select (select count(*) from staging.transactions), (select count(*) from staging.rejected_transactions), "
            "(select count(*) from staging.customers), (select count(*) from staging.customers where loyalty_member)"
        ).fetchone()
    assert (accepted, rejected, customers) == (info["transactions"], 0, 125_000)
    assert 0.25 < loyal / customers < 0.35
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        unprofitable, cost = con.execute(
            "select unprofitable_share, unprofitable_cost from profit.whale_curve_summary "
            "where scope = 'all' and window_name = 'trailing_12_months'").fetchall()[0]
        moves = con.execute(
            "select count(*), sum(customers) from profit.segment_migration "
            "where from_segment not in ('new', to_segment) and period_end = (select max(period_end) from profit.segment_migration)"
        ).fetchall()[0]
        segments = {r[0] for r in con.execute("select distinct segment from profit.customer_segments").fetchall()}
    assert unprofitable > 0.1 and cost > 0  # real costs and returns make customers unprofitable
    assert moves[0] >= 6 and moves[1] > 100  # customers move between many pairs of segments
    assert segments == {"key_accounts", "loyalty_members", "north_south", "east_west_central", "lapsed"}
