"""The calendar: period ends, the trailing year and the CLV windows, from dates alone."""

import datetime as dt

import pytest

from pipelines import config
from pipelines.errors import ConfigError, SegprofError
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


def test_the_default_holdout_ends_with_the_data_when_the_as_of_date_is_later(write_config, csv_source):
    cfg = config.load(write_config([csv_source(["1,a,2024-01-01,5"])]))
    w = calendar.Calendar(D(2024, 1, 1), D(2024, 12, 31), "month", last_date=D(2024, 10, 31)).windows(cfg)
    assert w.holdout_end == D(2024, 10, 31)


def test_a_holdout_after_the_as_of_date_is_refused(write_config, csv_source):
    cfg = config.load(write_config([csv_source(["1,a,2024-01-01,5"])], clv={"holdout_end": "2025-03-31"}))
    with pytest.raises(SegprofError, match="clv: holdout_end 2025-03-31 is after the as-of date 2024-12-31: the holdout must "
                                           "have happened by then; set it on or before 2024-12-31, or leave it null"):
        calendar.Calendar(D(2024, 1, 1), D(2024, 12, 31), "month").windows(cfg)


def test_a_holdout_beyond_the_data_is_refused(write_config, csv_source):
    cfg = config.load(write_config([csv_source(["1,a,2024-01-01,5"])], as_of_date="2024-12-31", clv={"holdout_end": "2024-12-31"}))
    with pytest.raises(SegprofError, match="clv: holdout_end 2024-12-31 is beyond the data, which ends on 2024-09-30: the "
                                           "forecast would cover 92 days without actual purchases"):
        calendar.Calendar(D(2024, 1, 1), D(2024, 12, 31), "month", last_date=D(2024, 9, 30)).windows(cfg)


def test_a_configured_holdout_after_the_configured_as_of_date_is_a_config_error(write_config, csv_source):
    path = write_config([csv_source(["1,a,2024-01-01,5"])], as_of_date="2024-06-30", clv={"holdout_end": "2024-12-31"})
    with pytest.raises(ConfigError, match="clv.holdout_end 2024-12-31 is after as_of_date 2024-06-30"):
        config.load(path)


@pytest.mark.parametrize(("minimum", "warned"), [(183, False), (184, True)])
def test_a_holdout_shorter_than_the_minimum_is_a_warning(write_config, csv_source, minimum, warned):
    cfg = config.load(write_config([csv_source(["1,a,2024-01-01,5"])], clv={"min_holdout_days": minimum}))
    warnings = calendar.Calendar(D(2024, 1, 1), D(2024, 12, 31), "month").window_warnings(cfg)
    assert warnings == ([f"clv: the holdout 2024-07-01 to 2024-12-31 is 183 days, shorter than clv.min_holdout_days ({minimum}): "
                         "too short to tell the models apart reliably; an earlier calibration_end gives a longer one"]
                        if warned else [])


def test_forecast_origins_step_back_to_halfway_through_the_calibration_period(write_config, csv_source):
    cfg = config.load(write_config([csv_source(["1,a,2024-01-01,5"])], clv={"forecast_origins": 3, "min_calibration_days": 1}))
    w = calendar.Calendar(D(2024, 1, 1), D(2024, 12, 31), "month").windows(cfg)
    assert w.origins == [(D(2024, 7, 1), D(2024, 12, 31)), (D(2024, 5, 16), D(2024, 11, 15)), (D(2024, 4, 1), D(2024, 10, 1))]
    # the default leaves out an origin with less than 120 days of calibration (2024-01-01 to 04-01 is 92)
    cfg = config.load(write_config([csv_source(["1,a,2024-01-01,5"])], clv={"forecast_origins": 3}))
    assert calendar.Calendar(D(2024, 1, 1), D(2024, 12, 31), "month").windows(cfg).origins == w.origins[:2]


def test_each_date_is_scored_by_the_latest_calendar_refit_on_or_before_it():
    first = D(1997, 1, 1)
    assert [calendar.refit_date(d, first, "quarter", "month") for d in (D(1997, 1, 31), D(1997, 4, 30), D(1998, 6, 15))] == [
        D(1997, 1, 31), D(1997, 3, 31), D(1998, 3, 31)]  # the first months on their own day; mid-period: the last quarter end
    assert calendar.refit_date(D(1998, 6, 30), first, "year", "month") == D(1997, 12, 31)
    assert calendar.refit_date(D(1998, 6, 15), first, "period", "month") == D(1998, 5, 31)
