"""The working-time calendar of the county: the chinese-calendar package merged with its own table.

The package (`chinese_calendar`) carries the State Council's holiday announcements up to the
year its release knows; `work_calendar_days` holds the county's entries for later years or
corrections, and a row there wins over the package for its day. `load_calendar` reads afresh;
`current_calendar` keeps the result for a minute per process, for the request path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timezone

import chinese_calendar
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.deadlines import Deadlines, deadlines_for
from gisapp.domain.worktime import DEFAULT_PERIODS, DEFAULT_TZ, WorkCalendar

log = logging.getLogger("gisapp")

YEARS_BEFORE, YEARS_AFTER = 10, 1  # the package's years taken around today: old cases are still recomputed


def package_days(years: Iterable[int]) -> tuple[dict[date, str], dict[date, str]]:
    """The package's holidays and adjusted working days of the given years, each with its name."""
    wanted = set(years)
    holidays = {d: name for d, name in chinese_calendar.holidays.items() if d.year in wanted}
    workdays = {d: name for d, name in chinese_calendar.workdays.items() if d.year in wanted}
    return holidays, workdays


def package_years() -> frozenset[int]:
    """The years the installed package has the announcement of."""
    return frozenset(d.year for d in chinese_calendar.holidays)


def table_days(session: Session) -> list[tuple[date, str, str]]:
    """The county's rows of work_calendar_days as (day, kind, name)."""
    rows = session.execute(text("SELECT day, kind, name FROM work_calendar_days ORDER BY day"))
    return [(r.day, r.kind, r.name) for r in rows]


def merge(holidays: set[date], workdays: set[date], overrides: Iterable[tuple[date, str, str]]) -> None:
    """Apply the table's rows over the package's days, in place: a row decides its day."""
    for day, kind, _name in overrides:
        holidays.discard(day)
        workdays.discard(day)
        (holidays if kind == "holiday" else workdays).add(day)


def load_calendar(
    session: Session,
    *,
    hours: Sequence[Sequence[time | str]] = DEFAULT_PERIODS,
    tz: str = DEFAULT_TZ,
    today: date | None = None,
    years: Iterable[int] | None = None,
) -> WorkCalendar:
    """The working-time calendar: the package's years around today with the table's rows over them."""
    today = today or datetime.now(timezone.utc).date()
    span = set(years) if years is not None else set(range(today.year - YEARS_BEFORE, today.year + YEARS_AFTER + 1))
    holidays, workdays = (set(days) for days in package_days(span))
    overrides = table_days(session)
    merge(holidays, workdays, overrides)
    known = (package_years() & span) | {day.year for day, _kind, _name in overrides}
    calendar = WorkCalendar(periods=hours, holidays=holidays, workdays=workdays, tz=tz, known_years=known)
    if today.year not in known:
        log.warning(
            "work calendar: no holidays known for %s; enter the State Council's announcement "
            "in work_calendar_days (deadlines count plain weekends until then)",
            today.year,
        )
    return calendar


_CACHE: dict = {}
CACHE_SECONDS = 60


def current_calendar(session: Session) -> WorkCalendar:
    """The calendar with the default hours, reloaded at most once a minute per process (an edit of
    work_calendar_days reaches deadlines within a minute)."""
    import time as clock

    now = clock.monotonic()
    if "calendar" not in _CACHE or now - _CACHE["at"] > CACHE_SECONDS:
        _CACHE.update(calendar=load_calendar(session), at=now)
    return _CACHE["calendar"]


def category_deadlines(session: Session, category, start: datetime) -> Deadlines:
    """A category's limits from start: working-time units load the county's calendar (cached a minute)."""
    unit = category["handling_unit"]
    calendar = current_calendar(session) if unit != "minutes" else None
    return deadlines_for(
        start,
        response_minutes=category["response_minutes"],
        handling_minutes=category["handling_minutes"],
        handling=(category["handling_amount"], unit),
        calendar=calendar,
    )
