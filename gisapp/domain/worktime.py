"""The working-time calendar that time limits are counted with (standard clauses 6.2.1, 6.2.4).

A limit is counted in one of three units:

- ``minutes``: wall-clock time, 24/7 (response limits of urgent matters);
- ``work_hours``: only the working periods of working days count (08:30-12:00 and 13:30-17:30
  local time by default); a working day is a Monday-Friday that is not a public holiday, or a
  weekend day that the State Council turned into a working day (调休);
- ``work_days``: one working day is the length of a working day (7.5 working hours by default)
  of working time. Started inside working hours, N working days end N working days later at the
  same local time of day. Started outside working hours, the clock starts at the next opening,
  so N working days end at the close of the Nth working day after the start (the day itself
  counts when the start is before its opening). Started in the lunch break, the clock starts at
  13:30 and the limit ends at 12:00 of the Nth working day: the same amount of working time.

Whenever the limit runs out exactly at the end of a working period, the earlier instant is the
deadline (17:30 on Tuesday, not 08:30 on Wednesday).

Paused intervals (an extension pending, a case parked) do not count in any unit. A pause that is
still running is passed by the caller as ``(paused_at, now)``: `elapsed` then counts up to now,
and `add` gives the deadline as it would be if the clock restarted now.

Every instant taken must be timezone-aware (naive ones raise ValueError); every instant returned
is in UTC. No daylight-saving time is assumed inside the working periods (China has none).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

UTC = timezone.utc
DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
SATURDAY_SUNDAY = frozenset({5, 6})  # date.weekday()
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)

Interval = tuple[datetime, datetime]


class Unit(StrEnum):
    MINUTES = "minutes"
    WORK_HOURS = "work_hours"
    WORK_DAYS = "work_days"


def _aware(moment: datetime, what: str) -> datetime:
    """The instant in UTC; a naive datetime is refused because its zone would be a guess."""
    if not isinstance(moment, datetime):
        raise ValueError(f"{what} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware: {moment.isoformat()} has no offset")
    return moment.astimezone(UTC)


def _clock(value: time | str) -> time:
    if isinstance(value, str):
        value = time.fromisoformat(value)
    if value.tzinfo is not None:
        raise ValueError("working periods are local times of day, without an offset")
    return value


def normalise_periods(periods: Iterable[Sequence[time | str]]) -> tuple[tuple[time, time], ...]:
    """Working periods sorted, each starting before it ends, none overlapping, none overnight.

    >>> normalise_periods([("13:30", "17:30"), ("08:30", "12:00")])
    ((datetime.time(8, 30), datetime.time(12, 0)), (datetime.time(13, 30), datetime.time(17, 30)))
    >>> normalise_periods([("17:30", "08:30")])
    Traceback (most recent call last):
    ValueError: working period 17:30:00-08:30:00 must start before it ends (no overnight periods)
    """
    result = sorted((_clock(start), _clock(end)) for start, end in periods)
    if not result:
        raise ValueError("a working day needs at least one working period")
    for start, end in result:
        if start >= end:
            raise ValueError(f"working period {start}-{end} must start before it ends (no overnight periods)")
    for (_, end), (start, _) in zip(result, result[1:]):
        if start < end:
            raise ValueError(f"working periods overlap at {start}")
    return tuple(result)


def normalise_pauses(pauses: Iterable[Sequence[datetime]] | None) -> tuple[Interval, ...]:
    """Paused intervals in UTC, sorted, overlapping or touching ones merged, empty ones dropped.

    >>> t = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    >>> h = timedelta(hours=1)
    >>> [(a.hour, b.hour) for a, b in normalise_pauses([(t + 3 * h, t + 4 * h), (t, t + 2 * h), (t + h, t + 3 * h)])]
    [(2, 6)]
    """
    spans = []
    for pause in pauses or ():
        start, end = (_aware(moment, "a pause bound") for moment in pause)
        if end < start:
            raise ValueError(f"pause ends ({end.isoformat()}) before it starts ({start.isoformat()})")
        if end > start:
            spans.append((start, end))
    merged: list[Interval] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _without_pauses(intervals: Iterable[Interval], pauses: tuple[Interval, ...]) -> Iterator[Interval]:
    """The parts of increasing, disjoint intervals that no pause covers."""
    i = 0
    for start, end in intervals:
        while i < len(pauses) and pauses[i][1] <= start:
            i += 1
        j = i
        while start < end and j < len(pauses) and pauses[j][0] < end:
            if pauses[j][0] > start:
                yield start, pauses[j][0]
            start = max(start, pauses[j][1])
            j += 1
        if start < end:
            yield start, end


@dataclass(frozen=True)
class WorkCalendar:
    """Working periods of a working day, holidays, adjusted working days and the local zone.

    ``holidays`` are days off whatever their weekday; ``workdays`` are the adjusted working days
    (调休: weekend days worked). A date in both is a contradiction and refused. ``known_years``
    records which years the holiday data covers, so that a missing announcement can be noticed;
    a year outside it is counted with plain weekends.

    >>> cal = WorkCalendar(holidays={date(2026, 10, 1)}, workdays={date(2026, 10, 10)})
    >>> [cal.is_working_day(date(2026, 10, d)) for d in (1, 2, 3, 10)]
    [False, True, False, True]
    >>> cal.add(datetime(2026, 9, 30, 9, 0, tzinfo=UTC), 1, "work_hours").isoformat()  # 17:00 -> 08:30+30min
    '2026-10-02T01:00:00+00:00'
    """

    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TZ))
    weekend: frozenset[int] = SATURDAY_SUNDAY
    known_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        tz = ZoneInfo(self.tz) if isinstance(self.tz, str) else self.tz
        set_ = object.__setattr__
        set_(self, "tz", tz)
        set_(self, "periods", normalise_periods(self.periods))
        for name in ("holidays", "workdays", "weekend", "known_years"):
            set_(self, name, frozenset(getattr(self, name)))
        if not self.weekend <= set(range(7)) or len(self.weekend) == 7:
            raise ValueError("weekend days are weekday numbers 0-6 (Monday = 0), and not all seven")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates both holiday and working day: {', '.join(map(str, sorted(both)))}")

    @property
    def day_length(self) -> timedelta:
        """The working time of one working day (7.5 hours by default)."""
        today = date(2000, 1, 3)
        return sum(
            (datetime.combine(today, end) - datetime.combine(today, start) for start, end in self.periods), timedelta()
        )

    def covers(self, day: date) -> bool:
        """Whether the holiday data of the day's year is known (the package or the county's table)."""
        return day.year in self.known_years

    def is_working_day(self, day: date) -> bool:
        """A day worked: an adjusted working day, or a weekday that is not a holiday.

        An aware datetime stands for its local date; a naive one is refused.
        """
        if isinstance(day, datetime):
            day = _aware(day, "day").astimezone(self.tz).date()
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() not in self.weekend

    def working_intervals(self, start: datetime) -> Iterator[Interval]:
        """The working periods (UTC) from an instant on, the first one clipped to it; endless."""
        start = _aware(start, "start")
        day = start.astimezone(self.tz).date()
        while True:
            if self.is_working_day(day):
                for opens, closes in self.periods:
                    begin = datetime.combine(day, opens, tzinfo=self.tz).astimezone(UTC)
                    end = datetime.combine(day, closes, tzinfo=self.tz).astimezone(UTC)
                    if end > start:
                        yield max(begin, start), end
            day += timedelta(days=1)

    def _counting(self, start: datetime, unit: Unit, pauses: tuple[Interval, ...]) -> Iterator[Interval]:
        """The intervals from `start` on during which the clock of `unit` runs."""
        if unit is Unit.MINUTES:
            base: Iterable[Interval] = [(start, _FAR_FUTURE)]
        else:
            base = self.working_intervals(start)
        return _without_pauses(base, pauses)

    def _duration(self, amount: float, unit: Unit) -> timedelta:
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount):
            raise ValueError(f"a time limit is a finite number, not {amount!r}")
        if amount < 0:
            raise ValueError(f"a time limit cannot be negative: {amount}")
        if unit is Unit.MINUTES:
            return timedelta(minutes=amount)
        if unit is Unit.WORK_HOURS:
            return timedelta(hours=amount)
        return self.day_length * amount

    def add(
        self, start: datetime, amount: float, unit: str, pauses: Iterable[Sequence[datetime]] | None = None
    ) -> datetime:
        """The deadline (UTC): the earliest instant by which `amount` of `unit` has run from `start`.

        >>> cal = WorkCalendar()
        >>> friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        >>> cal.add(friday_4pm, 2, "work_hours").astimezone(cal.tz).isoformat()
        '2026-03-09T09:00:00+08:00'
        >>> cal.add(friday_4pm, 1, "work_days").astimezone(cal.tz).isoformat()
        '2026-03-09T16:00:00+08:00'
        >>> cal.add(friday_4pm.replace(tzinfo=None), 1, "minutes")
        Traceback (most recent call last):
        ValueError: start must be timezone-aware: 2026-03-06T16:00:00 has no offset
        """
        unit = Unit(unit)
        start = _aware(start, "start")
        left = self._duration(amount, unit)
        if not left:
            return start
        for begin, end in self._counting(start, unit, normalise_pauses(pauses)):
            if end - begin >= left:
                return begin + left
            left -= end - begin
        raise AssertionError("the working intervals never end")  # pragma: no cover

    def elapsed(
        self, start: datetime, end: datetime, unit: str, pauses: Iterable[Sequence[datetime]] | None = None
    ) -> float:
        """Time of `unit` counted between two instants, in that unit (0 when end is not after start).

        Used for the share of a limit used: ``elapsed(dispatched, now, u, pauses) / limit``.

        >>> cal = WorkCalendar()
        >>> t = datetime(2026, 3, 6, 3, 30, tzinfo=UTC)  # Friday 11:30 in Shanghai
        >>> cal.elapsed(t, t + timedelta(hours=3), "work_hours")  # 11:30-12:00 and 13:30-14:30
        1.5
        >>> cal.elapsed(t, t + timedelta(hours=3), "minutes", pauses=[(t, t + timedelta(hours=1))])
        120.0
        """
        unit = Unit(unit)
        start, end = _aware(start, "start"), _aware(end, "end")
        total = timedelta()
        if end > start:
            for begin, stop in self._counting(start, unit, normalise_pauses(pauses)):
                if begin >= end:
                    break
                total += min(stop, end) - begin
        per = {
            Unit.MINUTES: timedelta(minutes=1),
            Unit.WORK_HOURS: timedelta(hours=1),
            Unit.WORK_DAYS: self.day_length,
        }[unit]
        return total / per
