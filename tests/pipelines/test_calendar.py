"""The calendar: period ends, the trailing year and the CLV windows, from dates alone."""

import datetime as dt

import pytest

from pipelines import config
from pipelines.errors import SegprofError
from pipelines.warehouse import calendar

D = dt.date


@pytest.mark.parametrize(("period", "ends"), [
    ("month", [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 15)]),
    ("quarter", [D(2024, 3, 15)]),
])
def test_period_ends_run_to_the_as_of_date(period, ends):
    assert calendar.period_ends(D(2024, 1, 10), D(2024, 3, 15), period) == ends


def test_an_as_of_date_on_a_period_end_is_listed_once():
    assert calendar.period_ends(D(2024, 1, 10), D(2024, 6, 30), "quarter") == [D(2024, 3, 31), D(2024, 6, 30)]


@pytest.mark.parametrize(("as_of", "start"), [(D(2024, 12, 31), D(2024, 1, 1)), (D(2024, 3, 5), D(2023, 4, 1)),
                                              (D(2024, 11, 30), D(2023, 12, 1))])
def test_the_trailing_year_starts_eleven_months_before_the_as_of_month(as_of, start):
    assert calendar.trailing_year_start(as_of) == start


def test_default_windows_split_the_history_in_half(write_config, csv_source):
    cfg = config.load(write_config([csv_source(["1,a,2024-01-01,5"])]))
    w = calendar.Calendar(D(2024, 1, 1), D(2024, 12, 31), "month").windows(cfg)
    assert (w.calibration_end, w.holdout_end, w.holdout_days) == (D(2024, 7, 1), D(2024, 12, 31), 183)


def test_a_calibration_end_outside_the_history_is_refused(write_config, csv_source):
    cfg = config.load(write_config([csv_source(["1,a,2024-01-01,5"])], clv={"calibration_end": "2025-01-01"}))
    with pytest.raises(SegprofError, match="calibration_end 2025-01-01 must fall after the first transaction"):
        calendar.Calendar(D(2024, 1, 1), D(2024, 12, 31), "month").windows(cfg)
