"""Ingest rules docs/ingest.md states that had no test: quantity and unit cost validation, order ids repeated across files."""

import pytest

from pipelines import config
from pipelines.warehouse import loading

HEADER = "customer_id,order_id,order_date,amount,quantity,unit_cost"
COLUMNS = {c: c for c in HEADER.split(",")}


def _load(con, write_config, tmp_path, files: dict[str, list[str]]):
    for name, lines in files.items():
        (tmp_path / name).write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    path = write_config([{"name": "shop", "path": "orders-*.csv", "format": "csv", "columns": COLUMNS}], as_of_date="2030-12-31")
    (load,) = loading.load_transactions(con, config.load(path))
    rejected = con.execute("select source_file, line_number, reason from staging.rejected_transactions order by 1, 2").fetchall()
    return load, [(file.rsplit("/", 1)[-1], line, reason) for file, line, reason in rejected]


@pytest.mark.parametrize(("quantity", "unit_cost", "field"), [
    ("1.5", "2.00", "quantity '1.5'"),
    ("two", "2.00", "quantity 'two'"),
    ("1", "inf", "unit_cost 'inf'"), ("1", "NaN", "unit_cost is NaN"), ("1", "abc", "unit_cost 'abc'"),
])
def test_quantity_not_whole_and_unit_cost_not_finite_are_quarantined(con, write_config, tmp_path, quantity, unit_cost, field):
    load, rejected = _load(con, write_config, tmp_path, {"orders-1.csv": [
        "1,a,2024-01-01,5.00,2,1.50", f"2,b,2024-01-02,6.00,{quantity},{unit_cost}", "3,c,2024-01-03,7.00,1,"]})
    assert (load.records_read, load.accepted, load.rejected) == (3, 2, 1)
    assert [(file, line) for file, line, _ in rejected] == [("orders-1.csv", 3)]
    assert rejected[0][2].startswith(field)
    assert con.execute("select quantity, unit_cost::varchar from staging.transactions order by line_number").fetchall() == [
        (2, "1.50"), (1, None)]


def test_an_order_id_repeated_in_another_file_is_quarantined_and_the_first_kept(con, write_config, tmp_path):
    load, rejected = _load(con, write_config, tmp_path, {
        "orders-1.csv": ["1,a,2024-01-01,5.00,1,", "2,b,2024-01-02,6.00,1,"],
        "orders-2.csv": ["3,c,2024-01-03,7.00,1,", "9,a,2024-01-04,8.00,1,"],
    })
    assert (load.records_read, load.accepted, load.rejected) == (4, 3, 1)
    assert [(file, line) for file, line, _ in rejected] == [("orders-2.csv", 3)]
    assert rejected[0][2].startswith("order_id 'a' repeats line 2 of ") and rejected[0][2].endswith("orders-1.csv")
    kept = con.execute("select customer_id from staging.transactions where order_id = 'a'").fetchall()
    assert kept == [("1",)]
