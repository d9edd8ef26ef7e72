"""The BI snapshot: documented schema, atomic publish, readers that never block or see half a run, connect recipes."""

import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlalchemy

from models import synthetic
from pipelines import cli, docs
from pipelines.warehouse import publish
from tests.conftest import REPO

BIN = Path(sys.executable).parent


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_generated_docs_are_current(capsys):
    """docs/schema.md from the table definitions, docs/configuration.md from the config schema."""
    for path, start, end, body in docs.generated(REPO / "docs"):
        assert docs.section(path, start, end) == body, f"{path}: run `segprof docs`"
    assert cli.main(["docs", "--check", "--dir", str(REPO / "docs")]) == 0


def test_the_configuration_reference_has_every_key_with_a_description():
    rows = [line.split(" | ") for line in docs.render_config().splitlines()[2:]]
    keys = {row[0].strip("| `") for row in rows}
    assert {"warehouse.path", "sources[].columns.customer_id", "profit.cogs.rate.by", "segments[].targets.<name>.amber_within",
            "scorecards.default_targets.<name>.target", "lapsed_segment"} <= keys
    assert [row[0] for row in rows if not row[3].strip(" |")] == []  # every key described


def test_segprof_docs_check_names_a_stale_document(tmp_path, capsys):
    for path, start, end, _ in docs.generated(REPO / "docs"):
        (tmp_path / path.name).write_text(f"# {path.name}\n{start}\nold\n{end}\n")
    assert cli.main(["docs", "--check", "--dir", str(tmp_path)]) == 1
    assert "schema.md: out of date; run `segprof docs`" in capsys.readouterr().err
    assert cli.main(["docs", "--dir", str(tmp_path)]) == 0
    assert cli.main(["docs", "--check", "--dir", str(tmp_path)]) == 0


def test_the_readme_is_a_first_hour_page():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 400
    first_screen = "\n".join(text.splitlines()[:60])
    assert "make demo" in first_screen and "make test" in first_screen and ".venv/bin" in first_screen
    for link in re.findall(r"\]\((docs/[^)#]+)", text):
        assert (REPO / link).is_file(), link


def test_every_contract_column_is_documented():
    con = duckdb.connect()
    from pipelines.warehouse.database import create_tables

    create_tables(con, *docs.DEFINITIONS)
    missing = con.execute(
        "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
        "where schema_name in ('staging', 'clv', 'profit', 'scorecards', 'meta') and table_name <> 'customer_attributes' "
        "and (comment is null or comment = '')").fetchall()
    assert missing == []


def test_published_snapshot_holds_the_contract_and_who_built_it(cdnow_demo, tmp_path):
    con, _ = cdnow_demo
    published = Path(con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()[0][0]).with_name("published.duckdb")
    with duckdb.connect(str(published), read_only=True) as snap:
        tables = {r[0] for r in snap.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall()}
        views = {r[0] for r in snap.execute("select schema_name || '.' || view_name from duckdb_views() where not internal").fetchall()}
        runs = snap.execute("select count(*), max(as_of_date)::varchar, any_value(row_counts)::varchar from meta.runs").fetchall()[0]
        wide = snap.execute("select count(*), count(segment) from bi.customer_360").fetchall()[0]
    assert "staging.transactions" in tables and "scorecards.segment_scorecard" in tables and "meta.runs" in tables
    assert "staging.customer_attributes" not in tables
    assert views == {"bi.customer_360", "bi.segment_kpis"}
    assert runs[0] == 2 and runs[1] == "1998-06-30"  # the demo ran twice
    assert json.loads(runs[2])["staging.transactions"] == 69_659
    assert wide == (23_570, 23_570)


@pytest.mark.slow  # a whole run each: with the slow suite, which CI runs too, so that make test stays under 10 minutes
def test_connect_recipes(small):
    assert cli.main(["run", "--config", str(small)]) == 0
    published = small.parent / "bi" / "published.duckdb"
    # DuckDB CLI (an older DuckDB than the pipeline's: the snapshot's storage version keeps it readable)
    out = subprocess.run([str(BIN / "duckdb"), "-readonly", "-csv", str(published), "-c",
                          "select count(*) as n from bi.customer_360"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["n", "2000"]
    # Python duckdb
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from staging.customers").fetchall() == [(2_000,)]
        # Polars
        frame = con.sql("select * from bi.segment_kpis").pl()
    assert isinstance(frame, pl.DataFrame) and frame.height > 0 and "contribution" in frame.columns
    # SQLAlchemy through duckdb_engine: reflect tables and read the comments
    engine = sqlalchemy.create_engine(f"duckdb:///{published}", connect_args={"read_only": True})
    inspector = sqlalchemy.inspect(engine)
    assert "segment_profitability" in inspector.get_table_names(schema="profit")
    assert inspector.get_table_comment("segment_profitability", schema="profit")["text"].startswith("Per segment and period")
    columns = {c["name"]: c for c in inspector.get_columns("segment_profitability", schema="profit")}
    assert columns["retention_rate"]["comment"].startswith("retained_customers / prior_customers")
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("select count(*) from scorecards.segment_scorecard")).scalar() > 0
    engine.dispose()
    # Parquet export, partitioned by as-of date
    parts = list((small.parent / "bi" / "parquet" / "clv.customer_clv").glob("period_end=*/*.parquet"))
    assert len(parts) > 12


READER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("select count(*) from meta.runs").fetchall()[0][0], flush=True)
    sys.stdin.readline()
    print(con.execute("select count(*) from meta.runs").fetchall()[0][0], flush=True)
    print(con.execute("select count(*) from staging.transactions").fetchall()[0][0], flush=True)
    con.close()
    print(duckdb.connect(sys.argv[1], read_only=True).execute("select count(*) from meta.runs").fetchall()[0][0], flush=True)
""")


@pytest.mark.slow  # several whole runs in processes that are killed or wait on each other
def test_a_reader_never_blocks_a_run_nor_sees_half_of_it(small):
    assert cli.main(["run", "--config", str(small)]) == 0
    published = small.parent / "bi" / "published.duckdb"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "1"
        assert cli.main(["run", "--config", str(small)]) == 0  # the reader holds the file open all along
        reader.stdin.write("\n")
        reader.stdin.flush()
        old_runs, old_rows, new_runs = (reader.stdout.readline().strip() for _ in range(3))
        assert (old_runs, new_runs) == ("1", "2")  # the open snapshot stayed whole; reopening shows the new one
        assert int(old_rows) > 10_000
    finally:
        reader.kill()
        reader.wait()


@pytest.mark.slow  # a whole run each: with the slow suite, which CI runs too, so that make test stays under 10 minutes
def test_a_failing_blocking_check_leaves_the_published_file_as_it_was(small, tmp_path, capsys):
    assert cli.main(["run", "--config", str(small)]) == 0
    published = small.parent / "bi" / "published.duckdb"
    before = _sha(published)
    # An implausible amount is quarantined record by record; with every record quarantined, the table-level
    # suite fails (no rows) and blocks.
    for part in (tmp_path / "data" / "transactions").glob("*.parquet"):
        pl.read_parquet(part).with_columns(amount=pl.lit(5e7)).write_parquet(part)
    assert cli.main(["run", "--config", str(small)]) == 1
    assert "check transactions_expectations on transactions: expect_table_row_count_to_be_between failed" in capsys.readouterr().err
    assert _sha(published) == before


@pytest.mark.slow  # several whole runs in processes that are killed or wait on each other
def test_two_runs_at_once_take_turns(small):
    runs = [subprocess.Popen([str(BIN / "segprof"), "run", "--config", str(small)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], results
    assert sum("waiting for the run that holds" in err for _, err in results) == 1
    with duckdb.connect(str(small.parent / "bi" / "published.duckdb"), read_only=True) as con:
        assert con.execute("select count(distinct run_id) from meta.runs").fetchall() == [(2,)]


@pytest.mark.parametrize("working_format", ["v1.2.0", None])
def test_publish_copies_either_storage_format(tmp_path, working_format):
    """A working file in the snapshot's format is copied byte for byte; another is copied table by table."""
    options = {"storage_compatibility_version": working_format} if working_format else {}
    with duckdb.connect(str(tmp_path / "w.duckdb"), config=options) as con:
        con.execute("create schema staging; create table staging.customer_attributes as select 1 as a;"
                    "create schema profit; create table profit.t as select range as x from range(1000)")
        published = publish.write_snapshot(con, tmp_path / "p.duckdb", "v1.2.0")
    with duckdb.connect(str(published), read_only=True) as snapshot:
        tags = snapshot.execute("select tags['storage_version'] from duckdb_databases() "
                                "where database_name = current_database()").fetchone()[0]
        tables = {r[0] for r in snapshot.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall()}
        rows = snapshot.execute("select count(*) from profit.t").fetchone()[0]
    assert (tags, tables, rows) == ("v1.2.0+", {"profit.t"}, 1000)


def _published(con) -> Path:
    working = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()[0][0]
    return Path(working).with_name("published.duckdb")


def test_meta_runs_counts_rows_exactly(cdnow_demo):
    con, _ = cdnow_demo
    with duckdb.connect(str(_published(con)), read_only=True) as snap:
        counts = json.loads(snap.execute("select row_counts from meta.runs order by finished_at desc limit 1").fetchone()[0])
        for table, rows in counts.items():
            if table != "meta.runs":  # counted before this run's own row went in
                assert snap.execute(f"select count(*) from {table}").fetchone()[0] == rows, table
    assert counts["clv.customer_rfm"] == 401_288  # exact, where the estimate is rounded to row groups


def test_every_schema_and_bi_column_is_documented_and_kpis_are_typed():
    from pipelines.site.kpis import KPIS
    from pipelines.warehouse.database import create_tables

    con = duckdb.connect()
    create_tables(con, *docs.DEFINITIONS)
    schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas() where database_name = current_database() "
                                         "and schema_name not in ('main', 'pg_catalog', 'information_schema')").fetchall()}
    assert schemas == {r[0] for r in con.execute("select schema_name from meta.schemas").fetchall()}
    undocumented = con.execute("select table_name || '.' || column_name from duckdb_columns() "
                               "where schema_name = 'bi' and coalesce(comment, '') = ''").fetchall()
    assert undocumented == []
    columns = {r[0]: (r[1], r[2]) for r in con.execute(
        "select column_name, data_type, comment from duckdb_columns() where table_name = 'segment_kpis'").fetchall()}
    for kpi in KPIS:  # one definition: the scorecard's
        assert columns[kpi.name][1] == kpi.definition
        expected = {"count": "BIGINT", "signed_count": "BIGINT", "money": "DECIMAL(18,2)", "percent": "DOUBLE"}[kpi.unit]
        assert columns[kpi.name][0] == expected, kpi.name


def test_primary_keys_where_the_grain_is_unique():
    from pipelines.warehouse.database import create_tables

    con = duckdb.connect()
    create_tables(con, *docs.DEFINITIONS)
    keys = dict(con.execute("select schema_name || '.' || table_name, constraint_column_names from duckdb_constraints() "
                            "where constraint_type = 'PRIMARY KEY'").fetchall())
    assert keys == {
        "staging.customers": ["customer_id"],
        "profit.segment_profitability": ["segment", "period_start"],
        "profit.segment_migration": ["from_segment", "to_segment", "period_end"],
        "profit.segment_equity_bridge": ["segment", "period_start"],
        "profit.segment_contribution_bridge": ["segment", "period_start", "basis"],
        "profit.segment_dimension_profit": ["segment", "period_start", "dimension", "value"],
        "profit.whale_curve": ["scope", "window_name", "period_start", "customer_share"],
        "profit.whale_curve_summary": ["scope", "window_name", "period_start"],
        "scorecards.segment_scorecard": ["segment", "period_end", "kpi"],
        "meta.period_fingerprints": ["period_start"],
    }


def test_the_join_map_holds_on_the_demo_data(cdnow_demo):
    """Every documented join finds its row, and the columns joined to identify one row (one-to-one: both ways)."""
    con, _ = cdnow_demo
    with duckdb.connect(str(_published(con)), read_only=True) as snap:
        joins = snap.execute("select from_table, from_columns, to_table, to_columns, cardinality, to_filter from meta.relationships").fetchall()
        assert len(joins) >= 10
        for source, source_columns, target, target_columns, cardinality, to_filter in joins:
            if to_filter:
                target = f"(select * from {target} where {to_filter})"
            pairs = " and ".join(f"t.{b} = f.{a}" for a, b in zip(source_columns.split(", "), target_columns.split(", ")))
            present = " and ".join(f"f.{a} is not null" for a in source_columns.split(", "))
            if source_columns.startswith("from_segment"):
                present += " and f.from_segment <> 'new'"  # acquired in between: no segment to come from
            unmatched = snap.execute(f"select count(*) from {source} f anti join {target} t on {pairs} where {present}").fetchone()[0]
            assert unmatched == 0, (source, target)
            for table, columns in [(target, target_columns)] + ([(source, source_columns)] if cardinality == "one-to-one" else []):
                rows, distinct = snap.execute(f"select count(*), count(distinct ({columns})) from {table} as t").fetchone()
                assert rows == distinct, (table, columns)


def test_the_period_end_has_one_name_in_every_published_table_and_view(cdnow_demo):
    """A period end joins under one name; only meta.runs keeps the run's as-of date under the config's name."""
    con, _ = cdnow_demo
    with duckdb.connect(str(_published(con)), read_only=True) as snap:
        others = snap.execute("select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
                              "where column_name in ('as_of_date', 'as_of', 'to_date', 'from_date', 'scoring_date') "
                              "and not internal order by 1").fetchall()
        keyed = snap.execute("select count(distinct schema_name || '.' || table_name) from duckdb_columns() "
                             "where column_name = 'period_end' and not internal").fetchone()[0]
    assert others == [("meta.runs.as_of_date",)]
    assert keyed >= 15


def test_every_table_reflects_fully_through_sqlalchemy(cdnow_demo):
    con, _ = cdnow_demo
    engine = sqlalchemy.create_engine(f"duckdb:///{_published(con)}", connect_args={"read_only": True})
    try:
        inspector = sqlalchemy.inspect(engine)
        with engine.connect() as connection:
            published = connection.execute(sqlalchemy.text(
                "select count(*) from duckdb_tables() where not internal")).scalar() + connection.execute(sqlalchemy.text(
                "select count(*) from duckdb_views() where not internal")).scalar()
        reflected = 0
        for schema in ("staging", "clv", "profit", "scorecards", "bi", "meta"):
            for name in inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema):
                table = sqlalchemy.Table(name, sqlalchemy.MetaData(), schema=schema, autoload_with=engine)
                assert table.columns and all(c.comment for c in table.columns), f"{schema}.{name}"
                reflected += 1
        assert reflected == published
    finally:
        engine.dispose()


def _readme_blocks(section: str) -> list[tuple[str, str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [(m[0], m[1]) for m in re.findall(r"```(\w*)\n(.*?)```", body, flags=re.S)]


def test_the_readme_connect_recipes_run_as_written(tmp_path):
    blocks = _readme_blocks("Connecting a BI tool")
    assert {kind for kind, _ in blocks} >= {"sh", "python"}
    synthetic.generate(customers=500, seed=3, out_dir=tmp_path / "data")
    config = tmp_path / "segprof.yaml"
    config.write_text(textwrap.dedent("""
        warehouse: {path: w/work.duckdb, published: out/segprof/published.duckdb}
        sources:
          - {name: syn, path: data/transactions/*.parquet, format: parquet,
             columns: {customer_id: customer_id, order_id: order_id, order_date: order_ts, amount: amount}}
        clv: {model: bgnbd, candidates: [bgnbd]}  # QUICK_CLV
    """))
    assert cli.main(["run", "--config", str(config)]) == 0
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    (tmp_path / ".venv").symlink_to(BIN.parent)  # the recipes run from a project folder, as the README's paths say
    for kind, code in blocks:
        if kind == "sh":
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
        elif kind == "python":
            done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
        else:
            continue  # output shown, not run
        assert done.returncode == 0, (code, done.stderr)


def test_the_semantic_layer_model_gives_the_scorecards_figures(cdnow_demo):
    """docs/metrics.yml, evaluated per segment and period end over profit.segment_profitability, equals the scorecard."""
    import yaml

    from pipelines.site.kpis import BY_NAME

    con, _ = cdnow_demo
    text = (REPO / "docs" / "metrics.yml").read_text(encoding="utf-8")
    assert docs.section(REPO / "docs" / "metrics.yml", docs.METRICS_START, docs.METRICS_END) == docs.render_metrics()
    measures = yaml.safe_load(text)["cubes"][0]["measures"]
    as_sql = {}
    for m in measures:  # Cube's SQL as DuckDB's: a sum with its filters, a number from the sums it names
        if m["type"] == "sum":
            where = " and ".join(f["sql"].replace("{CUBE}.", "") for f in m.get("filters", [])) or "true"
            as_sql[m["name"]] = f"sum({m['sql']}) filter (where {where})"
        else:
            as_sql[m["name"]] = re.sub(r"\{(\w+)\}", lambda ref: f"({as_sql[ref.group(1)]})", m["sql"])
    shown = [name for name in as_sql if name in BY_NAME]
    assert {"customers", "revenue", "contribution_per_customer", "retention_rate", "average_clv"} <= set(shown)
    rows = con.execute(f"select segment, period_end, {', '.join(f'{as_sql[n]} as {n}' for n in shown)} "
                       "from profit.segment_profitability group by all").fetchall()
    scorecard = {(r[0], r[1], r[2]): r[3] for r in con.execute(
        "select segment, period_end, kpi, value from scorecards.segment_scorecard").fetchall()}
    assert len(rows) > 50
    for segment, period_end, *values in rows:
        for name, value in zip(shown, values):
            expected = scorecard[(segment, period_end, name)]
            to_the_cent = 0.005 if BY_NAME[name].unit == "money" else 1e-9  # the P&L stores per-customer money in cents
            assert (value is None and expected is None) or float(value) == pytest.approx(expected, abs=to_the_cent), \
                (segment, period_end, name)
