"""Time limits of a category turned into the deadlines of one event (clause 6.2.1, 6.2.4)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Deadlines:
    respond_by: datetime  # accept and arrive on site
    handle_by: datetime   # finish handling


def deadlines_for(created_at: datetime, *, response_minutes: int, handling_minutes: int) -> Deadlines:
    """Deadlines counted from the moment the event was accepted.

    >>> from datetime import timezone
    >>> d = deadlines_for(datetime(2026, 1, 1, 23, 50, tzinfo=timezone.utc),
    ...                   response_minutes=15, handling_minutes=24 * 60)
    >>> d.respond_by.isoformat(), d.handle_by.isoformat()
    ('2026-01-02T00:05:00+00:00', '2026-01-02T23:50:00+00:00')
    """
    if response_minutes <= 0 or handling_minutes < response_minutes:
        raise ValueError("time limits must be positive and handling must not be shorter than response")
    return Deadlines(created_at + timedelta(minutes=response_minutes),
                     created_at + timedelta(minutes=handling_minutes))
