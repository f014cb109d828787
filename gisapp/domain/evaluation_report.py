"""Duty reports (值班日报、周报、月报): their periods and the change of each figure against the one before (环比).

A daily report covers one day; a weekly one the week (Monday to Sunday) holding the date; a monthly one the
calendar month holding it. 环比 compares with the period just before of the same kind (the day, week or
calendar month before). Rates change in percentage points, counts and mean times in per cent.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from gisapp.domain.evaluation import KPI_BY_KEY, Kind, Kpi, Period, parse_choice, parse_date
from gisapp.errors import ValidationFailed

REPORT_FIELDS = frozenset({"kind", "date"})


class ReportKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


def report_periods(kind: ReportKind, day: date) -> tuple[Period, Period]:
    """The period a report covers and the one before it.

    >>> report_periods(ReportKind.WEEKLY, date(2026, 11, 5))[0]  # a Thursday: its Monday to the next Monday
    Period(start=datetime.date(2026, 11, 2), end=datetime.date(2026, 11, 9))
    >>> report_periods(ReportKind.MONTHLY, date(2026, 3, 31))[1]  # February before March, whatever its length
    Period(start=datetime.date(2026, 2, 1), end=datetime.date(2026, 3, 1))
    """
    if kind is ReportKind.DAILY:
        current = Period(day, day + timedelta(days=1))
    elif kind is ReportKind.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        current = Period(monday, monday + timedelta(days=7))
    else:
        first = day.replace(day=1)
        current = Period(first, (first + timedelta(days=32)).replace(day=1))
    return current, current.previous()  # the one rule of 环比 (the previous calendar month of a month)


def parse_report(args: dict, today: date) -> tuple[ReportKind, date]:
    """kind (daily by default) and date (today by default): 422 unknown_kind, invalid_date, unknown_parameter."""
    unknown = sorted(set(args) - REPORT_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"unknown parameter {unknown[0][:40]!r}; this page takes: kind, date",
            code="unknown_parameter",
            field="query",
        )
    kind = ReportKind(parse_choice(args.get("kind"), "kind", ReportKind, ReportKind.DAILY))
    raw = args.get("date")
    day = today if raw in (None, "") else parse_date(raw, "date")
    if day.year < 2000 or day > today + timedelta(days=366):
        raise ValidationFailed("date: a date from 2000 to a year from now", code="invalid_date", field="date")
    return kind, day


def change(kpi: Kpi, current: dict, previous: dict) -> dict | None:
    """环比 of one figure: {"value", "unit": "pp" | "%", "better"}; None when either value is missing (or the
    previous count is 0, where a per-cent change means nothing).

    >>> change(KPI_BY_KEY["closure_rate"], {"value": 0.8}, {"value": 0.75})
    {'value': 5.0, 'unit': 'pp', 'better': True}
    >>> change(KPI_BY_KEY["overdue"], {"value": 6}, {"value": 4})
    {'value': 50.0, 'unit': '%', 'better': False}
    """
    now, before = current.get("value"), previous.get("value")
    if now is None or before is None:
        return None
    if kpi.kind is Kind.RATE:
        delta, unit = round((now - before) * 100, 1), "pp"
    elif before == 0:
        return None
    else:
        delta, unit = round((now - before) * 100 / before, 1), "%"
    better = None if delta == 0 else (delta > 0) == kpi.higher_is_better
    return {"value": delta, "unit": unit, "better": better}


def changes(current: dict, previous: dict) -> dict:
    """环比 of every figure (keys of KPIS)."""
    return {key: change(KPI_BY_KEY[key], current[key], previous[key]) for key in current if key in KPI_BY_KEY}
