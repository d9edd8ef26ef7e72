"""The one calendar: the data window, the as-of date, the period grain, period ends and the CLV calibration windows.

Every layer takes its dates from here: read once from the data (sql/clv/as_of_date.sql, or the shards'
files) and passed to SQL as parameters. Periods are calendar months or quarters (config profit.period).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from pipelines.config import Config
from pipelines.errors import SegprofError
from pipelines.warehouse.database import query


PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the month, quarter or year `day` is in."""
    months = PERIOD_MONTHS[period]
    month = months * ((day.month - 1) // months) + 1
    return dt.date(day.year, month, 1)


def next_period_start(day: dt.date, period: str) -> dt.date:
    start = period_start(day, period)
    year, month = divmod(start.month - 1 + PERIOD_MONTHS[period], 12)
    return dt.date(start.year + year, month + 1, 1)


def period_starts(first: dt.date, last: dt.date, period: str) -> list[dt.date]:
    """The first day of every period from the one holding `first` to the one holding `last`."""
    starts = [period_start(first, period)]
    while (start := next_period_start(starts[-1], period)) <= last:
        starts.append(start)
    return starts


def period_label(start: dt.date, period: str) -> str:
    """1998-03 for a month, 1998Q1 for a quarter."""
    return f"{start:%Y-%m}" if period == "month" else f"{start.year}Q{(start.month - 1) // 3 + 1}"


def months_before(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` months before `day`'s."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, 1)


def trailing_year_start(as_of: dt.date) -> dt.date:
    """The first day of the month eleven months before the as-of date's: the trailing twelve months start there."""
    year, month = divmod(as_of.year * 12 + as_of.month - 1 - 11, 12)
    return dt.date(year, month + 1, 1)


def is_period_end(day: dt.date, period: str) -> bool:
    """True on the last day of a period: a scoring date there closes the period, elsewhere it is an open period's."""
    return day == next_period_start(day, period) - dt.timedelta(days=1)


def period_ends(first: dt.date, as_of: dt.date, period: str) -> list[dt.date]:
    """Every period end from the first day's period up to (not including) the as-of date, then the as-of date."""
    dates, day = [], first
    while (end := next_period_start(day, period) - dt.timedelta(days=1)) < as_of:
        dates.append(end)
        day = end + dt.timedelta(days=1)
    return [*dates, as_of]


def refit_date(day: dt.date, first_date: dt.date, refit: str, period: str) -> dt.date:
    """The refit whose model scores `day`: the latest end of a calendar `refit` interval (the period, a quarter or a
    year) on or before `day`, so that a date always gets the same model whatever data came later; `day` itself when no
    such end falls inside the data (the first days are fitted on what there is)."""
    grain = period if refit == "period" else refit
    end = next_period_start(day, grain) - dt.timedelta(days=1)
    if end != day:
        end = period_start(day, grain) - dt.timedelta(days=1)
    return end if end >= first_date else day


@dataclass(frozen=True)
class Windows:
    """The CLV model's windows: calibration from the first day to calibration_end, holdout to holdout_end."""

    as_of: dt.date
    first_date: dt.date
    calibration_end: dt.date
    holdout_end: dt.date
    forecast_origins: int = 1
    min_calibration_days: int = 1

    @property
    def holdout_days(self) -> int:
        return (self.holdout_end - self.calibration_end).days

    @property
    def origins(self) -> list[tuple[dt.date, dt.date]]:
        """(calibration end, holdout end) of each forecast origin, the configured window first, then earlier ones
        spaced evenly back to halfway through the calibration period, each with a holdout as long; those whose
        calibration period is shorter than min_calibration_days left out."""
        k = self.forecast_origins
        step = (self.calibration_end - self.first_date).days / (2 * (k - 1)) if k > 1 else 0
        ends = [self.calibration_end - dt.timedelta(days=round(i * step)) for i in range(k)]
        return [(end, end + dt.timedelta(days=self.holdout_days)) for end in ends
                if (end - self.first_date).days + 1 >= self.min_calibration_days]


@dataclass(frozen=True)
class Calendar:
    """The data window (first transaction day to the as-of date) at the configured period grain."""

    first_date: dt.date
    as_of: dt.date
    period: str
    last_date: dt.date | None = None  # the last transaction day; None: the as-of date

    @property
    def scoring_dates(self) -> list[dt.date]:
        """Every period end up to the as-of date, and the as-of date itself.

        Customers are scored at each so that segments, migration and trends have history.
        """
        return period_ends(self.first_date, self.as_of, self.period)

    def windows(self, config: Config) -> Windows:
        """As-of date, calibration end and holdout end: configured, or the defaults docs/clv.md states.

        A holdout must have been observed: one ending after the as-of date or beyond the data is refused
        (the forecast would cover days without actuals); the default ends at the earlier of the two.
        """
        first, as_of = self.first_date, self.as_of
        data_end = min(as_of, self.last_date or as_of)
        holdout_end = config.clv.holdout_end or data_end
        if holdout_end > as_of:
            raise SegprofError(f"clv: holdout_end {holdout_end} is after the as-of date {as_of}: the holdout must have "
                               f"happened by then; set it on or before {as_of}, or leave it null")
        if holdout_end > data_end:
            raise SegprofError(f"clv: holdout_end {holdout_end} is beyond the data, which ends on {data_end}: the forecast "
                               f"would cover {(holdout_end - data_end).days} days without actual purchases; set it on or "
                               f"before {data_end}, or leave it null")
        calibration_end = config.clv.calibration_end or first + (holdout_end - first) / 2
        if not first < calibration_end < holdout_end:
            raise SegprofError(
                f"clv: calibration_end {calibration_end} must fall after the first transaction {first} and before holdout_end {holdout_end}"
            )
        return Windows(as_of, first, calibration_end, holdout_end, config.clv.forecast_origins, config.clv.min_calibration_days)

    def refit_dates(self, config: Config, dates: list[dt.date] | None = None) -> dict[dt.date, dt.date]:
        """Each scoring date (or each of `dates`) with the refit date whose model scores it."""
        return {d: refit_date(d, self.first_date, config.clv.refit, self.period) for d in (dates or self.scoring_dates)}

    def windows_at(self, config: Config, refit: dt.date) -> Windows:
        """The CLV windows of the refit on `refit`, inside the data up to that day only: the configured calibration and
        holdout ends when they fall inside it, else the holdout ends on that day and calibration halfway to it."""
        first = self.first_date
        data_end = min(refit, self.last_date or refit)
        holdout_end = config.clv.holdout_end if config.clv.holdout_end and config.clv.holdout_end <= data_end else data_end
        calibration_end = config.clv.calibration_end
        if not (calibration_end and first < calibration_end < holdout_end):
            calibration_end = first + (holdout_end - first) / 2
        return Windows(refit, first, calibration_end, holdout_end, config.clv.forecast_origins, config.clv.min_calibration_days)

    def window_warnings(self, config: Config) -> list[str]:
        """What makes the model choice weak without making it wrong: a holdout shorter than clv.min_holdout_days."""
        w = self.windows(config)
        if w.holdout_days < config.clv.min_holdout_days:
            return [f"clv: the holdout {w.calibration_end} to {w.holdout_end} is {w.holdout_days} days, shorter than "
                    f"clv.min_holdout_days ({config.clv.min_holdout_days}): too short to tell the models apart reliably; "
                    "an earlier calibration_end gives a longer one"]
        return []


def read(con: duckdb.DuckDBPyConnection, config: Config, name: str = "clv/as_of_date", params: dict | None = None) -> Calendar:
    """The calendar of the accepted transactions (sql/<name>.sql): first day, and the configured or last day as of."""
    row = query(con, name, {"as_of": config.as_of_date, **(params or {})})[0]
    if row["as_of_date"] is None:
        raise SegprofError("no accepted transactions: nothing to compute CLV from")
    return Calendar(row["first_date"], row["as_of_date"], config.profit.period, row["last_date"])
