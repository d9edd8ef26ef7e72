"""CLV intervals with history (docs/clv.md, Intervals and history): under clv.interval_dates all every scoring date's
intervals are drawn from the refit that scored it, and a run that keeps the periods rebuilds the segment equity
intervals exactly."""

from __future__ import annotations

import contextlib
import io

import duckdb
import polars as pl
import pytest
import yaml

from models import clv, synthetic
from pipelines import cli
from pipelines.config import load
from pipelines.warehouse import clv_tables

SOURCE = {"name": "syn", "path": "data/transactions/*.parquet", "format": "parquet",
          "columns": {"customer_id": "customer_id", "order_id": "order_id", "order_date": "order_ts", "amount": "amount"}}
EQUITY = "select segment, period_end, customer_equity_low, customer_equity_high from profit.segment_profitability order by all"


def _run(path) -> list[str]:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert cli.main(["run", "--config", str(path)]) == 0
    return out.getvalue().splitlines()


@pytest.mark.slow  # two runs with intervals at every date
def test_every_date_draws_from_its_own_refit_and_a_kept_period_keeps_its_intervals(tmp_path):
    synthetic.generate(customers=1_000, seed=5, out_dir=tmp_path / "data")
    path = tmp_path / "segprof.yaml"
    path.write_text(yaml.safe_dump({"warehouse": {"path": "w.duckdb"}, "sources": [SOURCE],
                                    "clv": {"model": "bgnbd", "candidates": ["bgnbd"], "interval_dates": "all",
                                            "interval_draws": 40}}))
    _run(path)
    config = load(path)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        scored = con.execute("select period_end, any_value(fitted_through), any_value(run_id), count(clv_low), count(*) "
                             "from clv.customer_clv group by 1 order by 1").fetchall()
        # in the last year every customer has intervals (earlier, a fit on little data may have no standard errors, or
        # a draw far from it cannot value some one-time buyers: they have none there)
        assert len(scored) > 12 and all(with_interval == rows for *_, with_interval, rows in scored[-12:])
        # a date between refits: its intervals are those of the refit that scored it, not of the latest fits
        day, refit, run_id, *_ = next(row for row in reversed(scored) if row[0] != row[1])
        purchase, spend, fallback, _ = clv_tables.chosen_fits(con, refit, run_id)
        s = config.clv
        points = clv.score(purchase, spend, clv_tables.customers_at(con, config, day), config.time_unit, s.horizon_months,
                           s.annual_discount_rate, s.margin_rate, fallback, s.return_rate, s.return_rate_prior_purchases,
                           clv_tables.valuation(config))
        expected = clv.intervals.with_customer_intervals(points, purchase, spend, clv_tables.interval_settings(config, fallback))
        stored = pl.from_arrow(con.sql(f"select customer_id, clv_low::double as stored_low, p_alive_high as stored_high "
                                       f"from clv.customer_clv where period_end = '{day}'").to_arrow_table())
        both = expected.join(stored, on="customer_id")
        assert both.height == stored.height
        assert (both["clv_low"] - both["stored_low"]).abs().max() <= 0.005 + 1e-9
        assert (both["p_alive_high"] - both["stored_high"]).abs().max() < 1e-12
        # the segment equity intervals at every period end
        ends = con.execute("select distinct period_end from profit.segment_profitability where customer_equity_low is not null "
                           "order by 1").fetchall()
        assert [d for (d,) in ends][-12:] == [d for d, *_ in scored][-12:]
        before = con.execute(EQUITY).fetchall()

    out = _run(path)  # the same data: the closed periods are kept, the segment tables rebuilt from the stored rows
    computed, total = next(line.split()[2::2] for line in out if line.startswith("periods computed"))[:2]
    assert int(computed) <= 1 < int(total)  # at most the open period
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute(EQUITY).fetchall() == before
