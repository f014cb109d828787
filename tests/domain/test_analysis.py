"""The analysis period [from, to) in county time, its defaults and limits (the API's one period parser), and the
emerging-trend rule."""

from datetime import date

import pytest

from gisapp.domain.analysis import DEFAULT_DAYS, PREVIOUS_PERIODS, Period, trend
from gisapp.domain.evaluation import MAX_DAY, MAX_PERIOD_DAYS, MIN_DAY, parse_period
from gisapp.errors import ValidationFailed

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    "start, end, expected",
    [
        # both given: taken as they are
        (date(2026, 11, 1), date(2026, 12, 1), Period(date(2026, 11, 1), date(2026, 12, 1))),
        # nothing given: the thirty days up to and including today
        (None, None, Period(date(2026, 11, 7), date(2026, 12, 7))),
        # only from: up to and including today
        (date(2026, 12, 1), None, Period(date(2026, 12, 1), date(2026, 12, 7))),
        # only to: the thirty days before it
        (None, date(2026, 2, 1), Period(date(2026, 1, 2), date(2026, 2, 1))),
        # one day is the shortest period
        (date(2026, 12, 6), date(2026, 12, 7), Period(date(2026, 12, 6), date(2026, 12, 7))),
        # five years of 366 days is the longest
        (date(2024, 1, 1), date(2029, 1, 4), Period(date(2024, 1, 1), date(2029, 1, 4))),
    ],
)
def test_the_period_of_a_request(start, end, expected):
    assert make_period(start, end, TODAY) == expected


def make_period(start, end, today):
    """The period as the hot spots and trends read it from their query string."""
    return parse_period(start and start.isoformat(), end and end.isoformat(), today=today, default_days=DEFAULT_DAYS)


@pytest.mark.parametrize(
    "start, end, code",
    [
        (date(2026, 12, 1), date(2026, 11, 1), "invalid_period"),
        (date(2026, 12, 1), date(2026, 12, 1), "invalid_period"),
        # a from after today without a to: the default end is before it
        (date(2027, 1, 1), None, "invalid_period"),
        # five years of 366 days and a day
        (date(2024, 1, 1), date(2029, 1, 5), "period_too_long"),
        (date(1999, 12, 31), date(2000, 1, 2), "date_out_of_range"),
        (date(2099, 12, 1), date(2100, 1, 2), "date_out_of_range"),
    ],
)
def test_periods_that_cannot_be(start, end, code):
    with pytest.raises(ValidationFailed) as caught:
        make_period(start, end, TODAY)
    assert caught.value.code == code and caught.value.status == 422


def test_the_earliest_previous_period_stays_in_the_calendar():
    longest = make_period(MIN_DAY, date.fromordinal(MIN_DAY.toordinal() + MAX_PERIOD_DAYS), TODAY)
    assert longest.earlier(PREVIOUS_PERIODS)[-1].start == date.fromordinal(MIN_DAY.toordinal() - 3 * MAX_PERIOD_DAYS)
    assert MAX_DAY.year < 9999


def test_bounds_are_midnights_in_china_standard_time():
    start, end = Period(date(2026, 11, 1), date(2026, 11, 2)).bounds()
    assert start.utcoffset().total_seconds() == 8 * 3600 and (end - start).days == 1


@pytest.mark.parametrize(
    "count, previous, ratio, emerging",
    [
        (6, [4, 4, 4], 1.5, True),
        # just below one and a half times the mean
        (5, [4, 3, 4], 1.36, False),
        # a jump from nothing, but too few events to mean anything
        (4, [0, 0, 0], None, False),
        # a jump from nothing with enough events
        (5, [0, 0, 0], None, True),
        # many events, but as many as usual
        (300, [290, 310, 300], 1.0, False),
        # fewer than before
        (0, [3, 3, 3], 0.0, False),
    ],
)
def test_the_emerging_rule(count, previous, ratio, emerging):
    t = trend(count, previous)
    assert (None if t.ratio is None else round(t.ratio, 2), t.emerging) == (ratio, emerging)
