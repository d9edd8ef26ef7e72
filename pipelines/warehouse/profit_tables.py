"""Profitability layer I/O: customer P&L, segments, segment P&L, migration, whale curve, action lists."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from models import segments as segment_models
from models.clv import intervals
from pipelines.config import Config
from pipelines.errors import SegprofError, SourceError
from pipelines.warehouse import calendar, clv_tables, cost_model, history
from pipelines.warehouse.database import create_tables, frame, query, registered, replace_rows, Rows, run, scope, stage_rows, write_tables


def cost_parameters(config: Config, as_of: dt.date, periods: list[dt.date]) -> dict:
    """The cost model as bound parameters of sql/profit/insert_customer_profit.sql, for `periods` (first days)."""
    profit = config.profit
    return {
        **cost_model.price_parameters(config),
        "as_of": as_of,
        "periods": periods,
        # a purchase keeps a customer marketed for active_months: older lines cannot matter to these periods
        "lines_from": calendar.months_before(min(periods), profit.marketing.active_months) if periods else as_of + dt.timedelta(days=1),
        "as_of_period_start": calendar.period_start(as_of, profit.period),
        "overhead_per_period": profit.overhead.amount_per_period,
        "overhead_key": profit.overhead.key,
        "costs_assumed": profit.costs_assumed,
    }


def build_customer_profit_base(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date, periods: list[dt.date]) -> None:
    """_customer_profit_base: each customer's revenue, costs and contribution in `periods` (first days), before overhead."""
    if config.profit.marketing.file:
        path = config.resolve(config.profit.marketing.file)
        if not path.is_file():
            raise SourceError(f"{path}: profit.marketing.file: file not found")
        try:
            run(con, "profit/marketing_costs_file", {"path": str(path), "period": config.profit.period})
        except duckdb.Error as exc:
            raise SourceError(f"{path}: profit.marketing.file: {exc} (expected columns customer_id, period_start, amount)") from exc
    else:
        run(con, "profit/marketing_costs_empty")
    run(con, "profit/cost_rates")
    run(con, "profit/customer_profit_base", cost_parameters(config, as_of, periods))


def build_customer_profit(con: duckdb.DuckDBPyConnection, config: Config, cal: calendar.Calendar, dates: list[dt.date],
                          base_files: list[str] | None = None) -> None:
    """profit.customer_profit for the periods of `dates` (scoring dates) from _customer_profit_base (built here, or
    loaded from the shards' files), overhead allocated; the other periods keep their rows."""
    period = config.profit.period
    periods = [calendar.period_start(d, period) for d in dates]
    if base_files:
        run(con, "profit/load_customer_profit_base", {"files": base_files})
    else:
        build_customer_profit_base(con, config, cal.as_of, periods)
    create_tables(con, "profit/customer_profit")
    replace_rows(con, "profit.customer_profit", "profit/insert_customer_profit", cost_parameters(config, cal.as_of, periods),
                 history.replaced(con, "profit.customer_profit", "period_start", periods,
                                  [calendar.period_start(d, period) for d in cal.scoring_dates]))


def reconcile(con: duckdb.DuckDBPyConnection, config: Config, as_of: dt.date, expected: str, actual: str,
              columns: list[str]) -> pl.DataFrame:
    """Per period, `columns` of two sql/profit statements side by side; rows that differ at all.

    `expected` is the ledger (or a table already reconciled to it), `actual` what must add up to it.
    """
    params = {"as_of": as_of, "period": config.profit.period}
    left = frame(con, expected, params).select("period_start", *columns)
    right = frame(con, actual, params).select("period_start", *columns)
    joined = left.join(right, on="period_start", how="full", suffix="_summed", coalesce=True).sort("period_start")
    differs = pl.any_horizontal(
        pl.col(c).cast(pl.Decimal(38, 2)).fill_null(0) != pl.col(f"{c}_summed").cast(pl.Decimal(38, 2)).fill_null(0) for c in columns
    )
    return joined.filter(differs)


def customer_dimensions(con: duckdb.DuckDBPyConnection, dates: list[dt.date]) -> pl.DataFrame:
    """Each customer's value tier at every scoring date with the dimensions segment rules may use."""
    return frame(con, "profit/customer_dimensions", {"dates": dates})


def build_customer_segments(con: duckdb.DuckDBPyConnection, config: Config, dates: list[dt.date],
                            scoring: list[dt.date]) -> pl.DataFrame:
    """profit.customer_segments at `dates` (of the scoring dates), one date at a time (memory holds one date's
    customers with their dimensions); the other dates keep their rows. Returns the last date's assignment."""
    create_tables(con, "profit/customer_segments")
    run(con, "profit/staged_customer_segments")
    segments = [s.model_dump() for s in config.segments]
    run(con, "profit/stage_main_regions", {"dates": dates})
    assigned = pl.DataFrame()
    for as_of in dates:
        assigned = segment_models.assign(customer_dimensions(con, [as_of]), segments, config.lapsed_segment)
        con.register("_customer_segments", assigned.select("customer_id", "period_end", "segment", "value_tier", "region").to_arrow())
        run(con, "profit/stage_customer_segments")
        con.unregister("_customer_segments")
    replace_rows(con, "profit.customer_segments", source="_staged_customer_segments",
                 scope=history.replaced(con, "profit.customer_segments", "period_end", dates, scoring))
    return assigned


def segment_equity_intervals(con: duckdb.DuckDBPyConnection, config: Config, dates: list[dt.date]) -> pl.DataFrame:
    """Per segment and scoring date of `dates` whose customers have intervals: equity_low/high, the interval of the
    segment's summed CLV from the parameters that gave its customers' intervals, those of the refit that scored the
    date (clv.customer_clv's fitted_through and run_id; a group's own fits for its customers under clv.fit_by), by the
    same method with the same settings. From stored rows only, so a rebuild gives a kept period the intervals it had;
    none without a recorded fit (CLV written by other means)."""
    out = [pl.DataFrame(schema={"segment": pl.String, "period_end": pl.Date, "equity_low": pl.Float64, "equity_high": pl.Float64})]
    create_tables(con, "clv/model_runs")  # a warehouse from before fits by group gets fit_group, which chosen_fits reads
    for row in query(con, "profit/interval_scoring_fits", {"dates": dates}):
        try:
            fits = clv_tables.DateFits.read(con, row["fitted_through"], row["run_id"])
        except SegprofError:
            continue
        groups = frame(con, "profit/segment_rfm", {"as_of": row["period_end"], "margin_rate": config.clv.margin_rate})
        parts = [(purchase, spend, rows) for _, purchase, spend, rows in fits.parts(groups)]
        out.append(intervals.parts_equity_intervals(parts, ["segment", "period_end"], clv_tables.interval_settings(config, fits.fallback)))
    return pl.concat(out)


def build_segment_profitability(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """profit.segment_profitability at the dates build_for_dates names (retention compares a date with the prior one)
    and those whose stored equity intervals lost their customers' intervals, with each segment's customer equity
    interval where its customers have theirs."""
    create_tables(con, "profit/segment_profitability")
    stale = [r["day"] for r in query(con, "profit/stale_equity_intervals")]
    dates = history.with_next(history.dates_to_compute(con, config), calendar.read(con, config).scoring_dates)
    with registered(con, _equity_intervals=segment_equity_intervals(con, config, sorted({*dates, *stale}))):
        run(con, "profit/segment_equity_intervals")
    build_for_dates(con, config, "segment_profitability", {"lapsed": config.lapsed_segment, "costs_assumed": config.profit.costs_assumed},
                    with_next=True, also=stale)


def build_table(con: duckdb.DuckDBPyConnection, table: str, params: dict) -> None:
    """Rebuild a profit table: its definition, then its rows replaced in one transaction."""
    create_tables(con, f"profit/{table}")
    replace_rows(con, f"profit.{table}", f"profit/insert_{table}", params)


def build_whale_curve(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """profit.whale_curve and whale_curve_summary: the period windows of the scoring dates the run computes (the
    others keep their rows), and the trailing twelve months to the as-of date (replaced every run)."""
    cal = calendar.read(con, config)
    dates = history.dates_to_compute(con, config)
    run(con, "profit/whale_contributions", {"as_of": cal.as_of, "trailing_start": calendar.trailing_year_start(cal.as_of), "dates": dates})
    create_tables(con, "profit/whale_curve", "profit/whale_curve_summary")
    periods = history.replaced(con, "profit.whale_curve", "period_end", dates, cal.scoring_dates)
    windows = {"period": scope("window_name", "period").also("period_end", *periods.values),
               "trailing_12_months": scope("window_name", "trailing_12_months")}
    write_tables(con, *(Rows(f"profit.{table}", f"profit/insert_{table}",
                             {"costs_assumed": config.profit.costs_assumed, "window_name": window}, where)
                        for table in ("whale_curve", "whale_curve_summary") for window, where in windows.items()))


def watched_tiers(config: Config) -> pl.DataFrame:
    """(segment, value_tier): whom each segment's action list watches (at_risk.watch, else at_risk.tiers, else every tier)."""
    every = [t.name for t in config.clv.value_tiers] + [config.clv.rest_tier]
    default = config.at_risk.tiers or every
    rows = [{"segment": s.name, "value_tier": tier} for s in config.segments for tier in config.at_risk.watch.get(s.name, default)]
    rows += [{"segment": config.lapsed_segment, "value_tier": t} for t in config.at_risk.watch.get(config.lapsed_segment, [])]
    return pl.DataFrame(rows, schema={"segment": pl.String, "value_tier": pl.String})


def action_rules(config: Config) -> pl.DataFrame:
    """The suggested-action table in rule order, for sql/profit/insert_at_risk_customers.sql."""
    return pl.DataFrame(
        [{"rule_order": i, **rule.model_dump()} for i, rule in enumerate(config.at_risk.actions)],
        schema={"rule_order": pl.Int64, "action": pl.String, "segments": pl.List(pl.String), "tiers": pl.List(pl.String),
                "reason": pl.String, "min_expected_loss": pl.Float64},
    )


def build_for_dates(con: duckdb.DuckDBPyConnection, config: Config, table: str, params: dict, with_next: bool = False,
                    also: list[dt.date] = ()) -> None:
    """A profit table's rows at the scoring dates the run computes (and the date just after each when a date's rows
    compare it with the prior one, and the dates `also`), bound as $dates; the other dates keep the rows they were
    published with."""
    scoring = calendar.read(con, config).scoring_dates
    dates = history.dates_to_compute(con, config)
    dates = history.with_next(dates, scoring) if with_next else dates
    dates = sorted({*dates, *(d for d in also if d in scoring)})
    create_tables(con, f"profit/{table}")
    # one date at a time into a work table, then one write: a single statement over every date of a large warehouse
    # holds all their joins at once (10M transactions: out of memory at the 3 GB limit; by date 1.5 GB peak)
    stage_rows(con, f"_staged_{table}", f"profit.{table}", [(f"profit/insert_{table}", {**params, "dates": [day]}) for day in dates])
    replace_rows(con, f"profit.{table}", source=f"_staged_{table}",
                 scope=history.replaced(con, f"profit.{table}", "period_end", dates, scoring))


def build_action_lists(con: duckdb.DuckDBPyConnection, config: Config) -> None:
    """profit.at_risk_customers: every segment's action list, at the dates build_for_dates names (a list compares a
    date with the prior one)."""
    settings = config.at_risk
    with registered(con, _watched_tiers=watched_tiers(config), _action_rules=action_rules(config)):
        build_for_dates(con, config, "at_risk_customers", {
            "lapsed": config.lapsed_segment, "p_alive_drop": settings.p_alive_drop,
            "overdue_factor": settings.overdue_factor, "recent_days": settings.recent_days}, with_next=True)
