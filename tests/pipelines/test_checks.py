"""Every blocking check, made to fail: the run stops, says which check and why, and runs nothing after it.

Real input cannot break most of these invariants (ingest quarantines bad records, the profit SQL
adds up), so each test corrupts the table its asset has just written, as a bug would, by wrapping
the function the asset calls. The run goes through `segprof run` as a user's would.
"""

from __future__ import annotations

import textwrap

import duckdb
import pytest

from models import synthetic
from pipelines import cli
from pipelines.orchestration import clv_checks, ingest_checks, profit_checks
from pipelines.orchestration.resources import SegprofConfig, WarehouseResource
from pipelines.warehouse import clv_tables, loading, profit_tables
from pipelines.warehouse.database import query
from tests.conftest import every_date

PARAMETERS = '{"r": -0.5, "alpha": 1.0, "s": 1.0, "beta": 1.0}'


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checks")
    synthetic.generate(customers=600, seed=13, out_dir=folder / "data")
    return folder / "data"


@pytest.fixture
def config_path(data, tmp_path):
    path = tmp_path / "segprof.yaml"
    path.write_text(textwrap.dedent(f"""
        warehouse: {{path: w.duckdb}}
        sources:
          - name: syn
            path: {data}/transactions/*.parquet
            format: parquet
            columns: {{customer_id: customer_id, order_id: order_id, order_date: order_ts, amount: amount}}
        clv: {{model: bgnbd, candidates: [bgnbd], refit: year}}
    """))
    return path


# check, function the asset calls (corrupted after it), corruption, table (of build_table or build_for_dates), message
CASES = [
    ("transactions_expectations", loading, "load_transactions",
     "update staging.transactions set line_number = 0 where line_number = 2 and source_file like '%part-0%'", None,
     "check transactions_expectations on transactions: line_number: expect_column_values_to_be_between failed for 1 rows e.g. [0]"),
    ("transactions_records_accounted", loading, "load_transactions",
     "delete from staging.transactions where rowid = (select min(rowid) from staging.transactions)", None,
     "check transactions_records_accounted on transactions: source syn: {read:,} records in files but {less:,} accepted + 0 rejected"),
    ("transactions_order_ids_unique", loading, "load_transactions",
     "update staging.transactions set order_id = (select min(order_id) from staging.transactions) "
     "where rowid = (select max(rowid) from staging.transactions)", None,
     "check transactions_order_ids_unique on transactions: 1+ order ids repeat, e.g. '{order_id}'"),
    ("clv_model_parameters_valid", clv_tables, "fit_models",
     f"update clv.model_runs set parameters = '{PARAMETERS}' where chosen and model = 'bgnbd'", None,
     "check clv_model_parameters_valid on clv_model: bgnbd (final): {{'r': -0.5, 'alpha': 1.0, 's': 1.0, 'beta': 1.0}}"),
    ("customer_clv_valid", clv_tables, "score_customers",
     "update clv.customer_clv set p_alive = 1.5 where customer_id = (select min(customer_id) from clv.customer_clv) "
     "and period_end = (select max(period_end) from clv.customer_clv)", None,
     "check customer_clv_valid on customer_clv: 1 rows with p_alive outside [0, 1]"),
    ("customer_clv_valid (negative CLV)", clv_tables, "score_customers",  # allowed in profit terms, not by margin rate
     "update clv.customer_clv set clv = -1, value_basis = 'margin_rate' where customer_id = (select min(customer_id) from clv.customer_clv) "
     "and period_end = (select max(period_end) from clv.customer_clv)", None,
     "check customer_clv_valid on customer_clv: 1 rows with negative CLV"),
    ("customer_clv_valid (formula)", clv_tables, "score_customers",
     "update clv.customer_clv set clv = clv + 0.02 where customer_id = (select min(customer_id) from clv.customer_clv) "
     "and period_end = (select max(period_end) from clv.customer_clv)", None,
     "check customer_clv_valid on customer_clv: 1 rows with CLV not discounted_purchases x (gross margin - cost to serve - "
     "returns cost) per order - expected marketing cost"),
    ("customer_clv_valid (duplicate)", clv_tables, "score_customers",
     "insert into clv.customer_clv select * from clv.customer_clv where period_end = (select max(period_end) from clv.customer_clv) "
     "limit 1", None,
     "check customer_clv_valid on customer_clv: 1 duplicate customer rows"),
    ("customer_clv_valid (missing)", clv_tables, "score_customers",
     "delete from clv.customer_clv where customer_id = (select min(customer_id) from clv.customer_clv) "
     "and period_end = (select max(period_end) from clv.customer_clv)", None,
     "check customer_clv_valid on customer_clv: 1 customers in clv.customer_rfm have no CLV"),
    ("customer_clv_expectations", clv_tables, "score_customers",
     "update clv.customer_clv set purchase_model = 'guess' where customer_id = (select min(customer_id) from clv.customer_clv) "
     "and period_end = (select max(period_end) from clv.customer_clv)", None,
     "check customer_clv_expectations on customer_clv: purchase_model: expect_column_values_to_be_in_set failed for 1 rows"),
    ("customer_profit_reconciles_to_ledger", profit_tables, "build_customer_profit",
     "update profit.customer_profit set revenue = revenue + 0.01 where rowid = (select min(rowid) from profit.customer_profit)", None,
     "check customer_profit_reconciles_to_ledger on customer_profit: 1 period(s) where customer totals differ from ledger, first {period}"),
    ("customer_segments_one_per_customer", profit_tables, "build_customer_segments",
     "insert into profit.customer_segments select * from profit.customer_segments "
     "where period_end = (select min(period_end) from profit.customer_segments) limit 1", None,
     "check customer_segments_one_per_customer on customer_segments: 1 date(s) with customers missing or duplicated, first {date}"),
    ("segment_profitability_reconciles_to_ledger", profit_tables, "build_for_dates",
     "update profit.segment_profitability set contribution = contribution - 1 "
     "where rowid = (select min(rowid) from profit.segment_profitability)", "segment_profitability",
     "check segment_profitability_reconciles_to_ledger on segment_profitability: 1 period(s) where segment totals differ from "
     "customer_profit_by_period, first {period}"),
    ("segment_profitability_reconciles_to_ledger (revenue)", profit_tables, "build_for_dates",
     "update profit.segment_profitability set revenue = revenue + 0.01 "
     "where rowid = (select min(rowid) from profit.segment_profitability)", "segment_profitability",
     "check segment_profitability_reconciles_to_ledger on segment_profitability: 1 period(s) where segment revenue totals differ "
     "from ledger, first {period}"),
    ("segment_profitability_expectations", profit_tables, "build_for_dates",
     "update profit.segment_profitability set active_customers = customers + 1 "
     "where rowid = (select min(rowid) from profit.segment_profitability)", "segment_profitability",
     "check segment_profitability_expectations on segment_profitability: "
     "expect_column_pair_values_a_to_be_greater_than_b failed for 1 rows"),
    ("segment_migration_rows_add_up", profit_tables, "build_for_dates",
     "update profit.segment_migration set customers = customers + 1 "
     "where rowid = (select min(rowid) from profit.segment_migration where from_segment <> 'new')", "segment_migration",
     "check segment_migration_rows_add_up on segment_migration: {segment} at {date}: {moved} moved vs {customers} customers"),
    ("segment_equity_bridge_reconciles", profit_tables, "build_for_dates",
     "update profit.segment_equity_bridge set value_change = value_change + 0.01 where (segment, period_start) = "
     "(select (segment, period_start) from profit.segment_equity_bridge order by period_start desc, segment limit 1)",
     "segment_equity_bridge", "check segment_equity_bridge_reconciles on segment_equity_bridge: 1 bridge(s) do not reconcile"),
    ("segment_contribution_bridge_reconciles", profit_tables, "build_table",
     "update profit.segment_contribution_bridge set margin_effect = margin_effect + 0.01 where (segment, period_start, basis) = "
     "(select (segment, period_start, basis) from profit.segment_contribution_bridge order by period_start desc, segment, basis limit 1)",
     "segment_contribution_bridge",
     "check segment_contribution_bridge_reconciles on segment_contribution_bridge: 1 bridge(s) do not reconcile"),
    ("segment_dimension_profit_adds_up", profit_tables, "build_for_dates",
     "update profit.segment_dimension_profit set revenue = revenue + 0.01 where rowid = (select min(rowid) from profit.segment_dimension_profit)",
     "segment_dimension_profit", "check segment_dimension_profit_adds_up on segment_dimension_profit: 1 segment dimension(s) do not add up"),
    ("at_risk_customers_one_row_per_customer", profit_tables, "build_for_dates",
     "insert into profit.at_risk_customers select * from profit.at_risk_customers where rowid = (select min(rowid) from profit.at_risk_customers)",
     "at_risk_customers", "check at_risk_customers_one_row_per_customer on at_risk_customers: 1 action list(s) with a customer listed "
     "twice or ranks not 1 to n"),
]

# The checked asset -> an asset after it, which must not run, and its table.
DOWNSTREAM = {"transactions": ("customers", "staging.customers"), "clv_model": ("customer_clv", "clv.customer_clv"),
              "customer_clv": ("customer_segments", "profit.customer_segments"),
              "customer_profit": ("segment_profitability", "profit.segment_profitability"),
              "customer_segments": ("segment_profitability", "profit.segment_profitability"),
              "segment_profitability": ("segment_scorecard", "scorecards.segment_scorecard"),
              "segment_migration": ("segment_scorecard", "scorecards.segment_scorecard"),
              "segment_equity_bridge": ("segment_scorecard", "scorecards.segment_scorecard"),
              "segment_contribution_bridge": ("segment_scorecard", "scorecards.segment_scorecard"),
              "segment_dimension_profit": ("segment_scorecard", "scorecards.segment_scorecard"),
              "at_risk_customers": ("segment_scorecard", "scorecards.segment_scorecard")}


# A whole run each (8-17 s on 2 cores): the segment-level cases and the action lists, the longest, run with the slow suite (CI runs both),
# so that make test stays under 10 minutes.
@pytest.mark.parametrize(("check", "module", "function", "sql", "table", "message"),
                         [pytest.param(*c, id=c[0], marks=[pytest.mark.slow] if c[0].startswith(("segment_", "at_risk_")) else []) for c in CASES])
def test_a_failing_blocking_check_stops_the_run_with_its_message(config_path, capsys, monkeypatch, check, module,
                                                                 function, sql, table, message):
    facts = {}

    def remember(con):
        """What the message must name, read from the warehouse before the check runs."""
        if "{read" in message:
            facts["read"] = con.execute("select count(*) from staging.transactions").fetchone()[0] + 1
            facts["less"] = facts["read"] - 1
        if "{order_id" in message:
            facts["order_id"] = con.execute("select min(order_id) from staging.transactions").fetchone()[0]
        if "{period" in message:
            source = "profit.customer_profit" if table is None else f"profit.{table}"
            facts["period"] = con.execute(f"select period_start from {source} where rowid = (select min(rowid) from {source})").fetchone()[0]
        if "{date" in message and table is None:
            facts["date"] = con.execute("select min(period_end) from profit.customer_segments").fetchone()[0]
        if "{moved" in message:
            row = con.execute("select from_segment, start_date, customers from profit.segment_migration "
                              "where rowid = (select min(rowid) from profit.segment_migration where from_segment <> 'new')").fetchone()
            moved = con.execute("select sum(customers) from profit.segment_migration where from_segment = ? and start_date = ?",
                                [row[0], row[1]]).fetchone()[0]
            facts.update(segment=row[0], date=row[1], moved=moved, customers=moved - 1)

    original = getattr(module, function)

    def corrupt(con, *args, **kwargs):
        result = original(con, *args, **kwargs)
        if table is None or table in args[:2]:  # build_table(con, table, ...), build_for_dates(con, config, table, ...)
            con.execute(sql)
            remember(con)
        return result

    monkeypatch.setattr(module, function, corrupt)
    asset = message.split(" on ")[1].split(":")[0]
    after, after_table = DOWNSTREAM[asset]
    assert cli.main(["run", "--config", str(config_path), "--select", f"*{after}"]) == 1  # the asset after it and all upstream
    lines = capsys.readouterr().err.splitlines()[1:]
    assert all(line.startswith("  check ") for line in lines), lines  # only failed checks, no traceback
    assert any(line.startswith(f"  {message.format(**facts)}") for line in lines), lines  # GX adds examples
    with duckdb.connect(str(config_path.parent / "w.duckdb"), read_only=True) as con:
        assert not con.execute("select * from duckdb_tables() where schema_name || '.' || table_name = ?", [after_table]).fetchall()


@pytest.mark.slow  # two whole runs
def test_a_run_that_computes_the_last_period_checks_its_rows_only(config_path, monkeypatch, capsys):
    """A second run that computes only the last period (restated here; a new month is the routine case): the checks
    of the per-period tables read that period's rows and say so (the kept periods' rows were checked when they were
    published), and a corrupted row in it still stops the run. The transactions checks read the lines no published
    run has checked: none here."""
    assert cli.main(["run", "--config", str(config_path)]) == 0
    original = clv_tables.score_customers

    def corrupt(con, *args, **kwargs):
        result = original(con, *args, **kwargs)
        con.execute("update clv.customer_clv set purchase_model = 'guess' where customer_id = (select min(customer_id) "
                    "from clv.customer_clv) and period_end = (select max(period_end) from clv.customer_clv)")
        return result

    monkeypatch.setattr(clv_tables, "score_customers", corrupt)
    assert cli.main(["run", "--config", str(config_path), "--restate", "2025-12"]) == 1
    assert ("  check customer_clv_expectations on customer_clv: purchase_model: expect_column_values_to_be_in_set failed "
            "for 1 rows") in capsys.readouterr().err
    warehouse = str(config_path.parent / "w.duckdb")
    with duckdb.connect(warehouse) as con:
        periods = [r[0] for r in con.execute("select period_start from meta.period_fingerprints order by 1").fetchall()]
        assert [r[0] for r in con.execute("select period_start from meta.period_fingerprints where recompute").fetchall()] == periods[-1:]
        last = con.execute("select max(period_end) from clv.customer_clv").fetchone()[0]
        rows = con.execute("select count(*) from clv.customer_clv where period_end = ?", [last]).fetchone()[0]
        lines = con.execute("select count(*) from staging.transactions").fetchone()[0]
        # a kept period's rows are not read again: a row broken there after publication goes unseen by design
        con.execute("update clv.customer_clv set purchase_model = 'guess' where period_end = (select min(period_end) from clv.customer_clv)")
    resources = {"segprof": SegprofConfig(path=str(config_path)), "duckdb": WarehouseResource(database=warehouse)}
    kept = f"; the other {len(periods) - 1} keep the rows checked when they were published"
    label = f"the 1 period written by this run ({periods[-1]:%Y-%m})"

    suite = clv_checks.CHECKS[2](**resources)
    assert not suite.passed and suite.description.startswith("purchase_model: expect_column_values_to_be_in_set failed for 1 rows")
    assert suite.metadata["rows_validated"].value == rows
    assert suite.metadata["validated"].value == f"{label}, all {rows:,} rows{kept}"

    segments = profit_checks.customer_segments_one_per_customer(**resources)
    assert segments.passed and segments.metadata["validated"].value == f"{label}, all their rows{kept}"
    with duckdb.connect(warehouse) as con:
        con.execute("insert into profit.customer_segments select * from profit.customer_segments "
                    "where period_end = (select max(period_end) from profit.customer_segments) limit 1")
    segments = profit_checks.customer_segments_one_per_customer(**resources)
    assert not segments.passed and segments.description == f"1 date(s) with customers missing or duplicated, first {last}"

    for check in (ingest_checks.transactions_expectations, ingest_checks.transactions_order_ids_unique):
        result = check(duckdb=resources["duckdb"])
        assert result.passed and result.metadata["validated"].value.startswith("the lines no published run has checked (this run's load): ")
        assert result.metadata["validated"].value.endswith(f"; the other {lines:,} lines were checked when they were published and are unchanged")


@pytest.mark.slow  # a whole run each: with the slow suite, which CI runs too, so that make test stays under 10 minutes
def test_the_equity_bridge_reconciles_on_synthetic_data(config_path):
    """The synthetic data acquires customers every month: every flow of the bridge is exercised, and it adds up."""
    assert cli.main(["run", "--config", str(config_path)]) == 0
    with duckdb.connect(str(config_path.parent / "w.duckdb"), read_only=True) as con:
        flows = con.execute("select count(*), sum(acquired_customers), sum(lapsed_customers), sum(migrated_out_customers), "
                            "sum(migrated_in_customers), sum(abs(value_change)) from profit.segment_equity_bridge").fetchone()
        assert all(f > 0 for f in flows), flows
        assert query(con, "profit/check_segment_equity_bridge", every_date(con)) == []
        drift = con.execute("select max(abs(start_equity + acquired - lapsed - migrated_out + migrated_in + value_change "
                            "- end_equity)) from profit.segment_equity_bridge").fetchone()[0]
        assert drift == 0


@pytest.mark.slow  # a whole run each: with the slow suite, which CI runs too, so that make test stays under 10 minutes
def test_the_contribution_bridge_and_the_split_by_dimension_add_up_on_synthetic_data(config_path, tmp_path):
    """With the synthetic data's channel, region and category mapped: every effect of the bridge is exercised, a year
    of history gives year-on-year bridges, and each dimension's rows add up to the segment P&L."""
    path = config_path
    path.write_text(path.read_text().replace(
        "amount: amount}", "amount: amount, quantity: quantity, channel: channel, region: region, category: category, "
                           "unit_cost: unit_cost}")
        + "profit: {cogs: {method: unit_cost}, cost_to_serve: {per_order: {default: 2.5}}, returns: {handling_per_return: 6.0},"
           " marketing: {per_customer_per_period: {default: 0.6}}, overhead: {amount_per_period: 1000.0}}\n")
    assert cli.main(["run", "--config", str(path)]) == 0
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert query(con, "profit/check_segment_contribution_bridge") == []
        assert query(con, "profit/check_segment_dimension_profit", every_date(con)) == []
        effects = con.execute("select basis, count(*), sum(abs(customer_count_effect)), sum(abs(revenue_per_customer_effect)), "
                              "sum(abs(margin_effect)), sum(abs(cost_to_serve_effect)), sum(abs(returns_effect)), "
                              "sum(abs(marketing_effect)) from profit.segment_contribution_bridge group by 1 order by 1").fetchall()
        assert [b for b, *_ in effects] == ["prior_period", "year_ago"]
        assert all(v > 0 for row in effects for v in row[1:]), effects
        values = dict(con.execute("select dimension, count(distinct value) from profit.segment_dimension_profit "
                                  "group by 1").fetchall())
        assert all(n > 1 for n in values.values()) and set(values) == {"channel", "region", "category"}
