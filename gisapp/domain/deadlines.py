"""Time limits of a category turned into the deadlines of one event (clause 6.2.1, 6.2.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Deadlines:
    respond_by: datetime  # accept and arrive on site
    handle_by: datetime  # finish handling


def deadlines_for(
    created_at: datetime,
    *,
    response_minutes: int,
    handling_minutes: int,
    handling: tuple[float, str] | None = None,
    calendar=None,
) -> Deadlines:
    """Deadlines counted from the moment the event was accepted (or its task dispatched).

    The response limit is clock minutes; the handling limit is clock minutes, or `handling` =
    (amount, "work_hours" | "work_days") counted on a WorkCalendar (then never before the response limit).

    >>> from datetime import timezone
    >>> d = deadlines_for(datetime(2026, 1, 1, 23, 50, tzinfo=timezone.utc),
    ...                   response_minutes=15, handling_minutes=24 * 60)
    >>> d.respond_by.isoformat(), d.handle_by.isoformat()
    ('2026-01-02T00:05:00+00:00', '2026-01-02T23:50:00+00:00')
    """
    if response_minutes <= 0 or handling_minutes < response_minutes:
        raise ValueError("time limits must be positive and handling must not be shorter than response")
    respond_by = created_at + timedelta(minutes=response_minutes)
    if handling is not None and handling[1] != "minutes":  # working hours or days of the county's calendar
        return Deadlines(respond_by, max(respond_by, calendar.add(created_at, float(handling[0]), handling[1])))
    return Deadlines(respond_by, created_at + timedelta(minutes=handling_minutes))
