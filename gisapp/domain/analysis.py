"""Rules of the event analysis (信息研判, standard 7.1.1.5): the period asked about, and when a trend is emerging.

A period is `[from, to)` of calendar days in the county's time zone (Asia/Shanghai): `to` is the first day
*not* counted, so `from=2026-11-01&to=2026-12-01` is November. It holds at least one day and at most
MAX_DAYS (five years with their leap days); days lie within MIN_DAY..MAX_DAY so that the previous periods
of a trend stay in the calendar.

A category's trend compares this period's count with the mean of the PREVIOUS_PERIODS periods of the
same length just before it. It is **emerging** when the count is at least EMERGING_MIN_COUNT and at
least EMERGING_RATIO times that mean (or the mean is zero): a few events more than usual in a quiet
category are noise, a jump by half in a busy one is news.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from gisapp.domain.evaluation import COUNTY_TZ, Period
from gisapp.errors import ValidationFailed

__all__ = ["COUNTY_TZ", "Period", "make_period", "trend"]
MAX_DAYS = 5 * 365 + 2
MIN_DAY = date(1970, 1, 1)
MAX_DAY = date(2100, 1, 1)
DEFAULT_DAYS = 30
PREVIOUS_PERIODS = 3
EMERGING_RATIO = 1.5
EMERGING_MIN_COUNT = 5


def make_period(start: date | None, end: date | None, today: date) -> Period:
    """The period of a request; without `to` it ends with today (included), without `from` it starts
    DEFAULT_DAYS before its end; ValidationFailed (invalid_period, period_too_long, date_out_of_range) when it
    cannot be one.

    >>> make_period(None, None, date(2026, 12, 6))
    Period(start=datetime.date(2026, 11, 7), end=datetime.date(2026, 12, 7))
    >>> make_period(date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 6))
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: to must be after from: the period [from, to) holds no day
    """
    end = end or today + timedelta(days=1)
    start = start or end - timedelta(days=DEFAULT_DAYS)
    for name, day in (("from", start), ("to", end)):
        if not MIN_DAY <= day <= MAX_DAY:
            raise ValidationFailed(f"{name} must lie between {MIN_DAY} and {MAX_DAY}", code="date_out_of_range",
                                   field=name)
    if end <= start:
        raise ValidationFailed("to must be after from: the period [from, to) holds no day", code="invalid_period",
                               field="to")
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed(f"the period is longer than five years ({MAX_DAYS} days)", code="period_too_long",
                               field="to")
    return Period(start, end)


@dataclass(frozen=True)
class Trend:
    """One category's count in the period against the mean of the previous periods."""

    count: int
    previous_mean: float

    @property
    def ratio(self) -> float | None:
        """count / previous mean; None when the previous periods had no event."""
        return self.count / self.previous_mean if self.previous_mean else None

    @property
    def emerging(self) -> bool:
        """Notably up: at least EMERGING_MIN_COUNT events and EMERGING_RATIO x the previous mean.

        >>> Trend(6, 4.0).emerging, Trend(5, 0.0).emerging, Trend(4, 0.0).emerging, Trend(50, 40.0).emerging
        (True, True, False, False)
        """
        if self.count < EMERGING_MIN_COUNT:
            return False
        return self.ratio is None or self.ratio >= EMERGING_RATIO


def trend(count: int, previous_counts: list[int]) -> Trend:
    """The trend of a count against the counts of the previous periods.

    >>> t = trend(9, [4, 6, 2]); (t.previous_mean, t.ratio, t.emerging)
    (4.0, 2.25, True)
    """
    return Trend(count, sum(previous_counts) / len(previous_counts) if previous_counts else 0.0)
