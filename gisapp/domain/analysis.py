"""Rules of the event analysis (信息研判, standard 7.1.1.5): the period asked about, and when a trend is emerging.

A period is `[from, to)` of calendar days in the county's time zone (Asia/Shanghai): `to` is the first day
*not* counted, so `from=2026-11-01&to=2026-12-01` is November; it is read by the API's one period parser
(domain/evaluation.parse_period: at most five years, days within MIN_DAY..MAX_DAY so that the previous periods
of a trend stay in the calendar; without `to` the period ends with today, without `from` it starts DEFAULT_DAYS
before its end).

A category's trend compares this period's count with the mean of the PREVIOUS_PERIODS periods of the
same length just before it. It is **emerging** when the count is at least EMERGING_MIN_COUNT and at
least EMERGING_RATIO times that mean (or the mean is zero): a few events more than usual in a quiet
category are noise, a jump by half in a busy one is news.
"""

from __future__ import annotations

from dataclasses import dataclass

from gisapp.domain.evaluation import COUNTY_TZ, Period

__all__ = ["COUNTY_TZ", "Period", "trend"]
DEFAULT_DAYS = 30
PREVIOUS_PERIODS = 3
EMERGING_RATIO = 1.5
EMERGING_MIN_COUNT = 5


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
