"""Live updates: each step of an event is told to its center and the receivers it concerns.

`announce` writes a notification row and a pg_notify in the caller's transaction, so a stream hears
of a change exactly when it is committed, and never of one that was rolled back. `visible` decides
which subscriber may hear of which notification, by the same area rules as the events themselves.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.security import Role

CHANNEL = "gisapp_events"
ANNOUNCE = text("""
WITH n AS (
    INSERT INTO notifications (at, event_id, action, status, level, audiences, county_code, township_code, grid_code)
    SELECT :at, e.id, :action, e.status, e.level, CAST(:audiences AS text[]), e.county_code, e.township_code,
           e.grid_code
    FROM events e WHERE e.id = :event
    RETURNING id, at, event_id, action, status, level, audiences, county_code, township_code, grid_code
)
SELECT pg_notify(:channel, json_build_object('id', id, 'at', at, 'event_id', event_id, 'action', action,
                 'status', status, 'level', level, 'audiences', audiences, 'county', county_code,
                 'township', township_code, 'grid', grid_code)::text), id FROM n
""")


def announce(
    session: Session, event_id: int, action: str, receivers: set[str], *, at: datetime, center: str | None = None
) -> None:
    """Record and broadcast one step of an event to its center (the current one unless given) and the
    receivers it concerns ('team:<code>', 'department:<code>'), in the caller's transaction."""
    if center is None:
        center = session.execute(text("SELECT center_code FROM events WHERE id = :id"), {"id": event_id}).scalar_one()
    session.execute(
        ANNOUNCE,
        {
            "at": at,
            "action": action,
            "event": event_id,
            "channel": CHANNEL,
            "audiences": sorted({f"center:{center}", *receivers}),
        },
    )


# members' duty reports (status and position), told to the stream as they are committed; not kept (a position
# is only worth its latest value: a reconnecting page reads the view's members again)
DUTY_CHANNEL = "gisapp_duty"


def listen(connection) -> None:
    """Subscribe a DB-API connection of its own (autocommit) to the events' and the duty channels."""
    connection.cursor().execute(f"LISTEN {CHANNEL}; LISTEN {DUTY_CHANNEL}")


ANNOUNCE_DUTY = text("""
SELECT pg_notify(:channel, json_build_object('member', m.code, 'name', m.name, 'team', m.team_code,
                 'duty_status', m.duty_status, 'lon', ST_X(m.position), 'lat', ST_Y(m.position), 'at', m.position_at,
                 'audiences', ARRAY[]::text[], 'county', gd.county_code, 'township', gd.township_code,
                 'grid', gd.grid_code)::text)
FROM members m JOIN grid_directory gd ON gd.team_code = m.team_code WHERE m.code = :code
""")


def announce_duty(session: Session, member_code: str) -> None:
    """Broadcast a member's duty status and position when the caller's transaction commits."""
    session.execute(ANNOUNCE_DUTY, {"channel": DUTY_CHANNEL, "code": member_code})


def visible(note: dict, role: str, bound_to: str, team: str | None) -> bool:
    """May an account hear of this notification? Its county, township or grid, or a task of its team
    or department.

    >>> n = {"county": "320102", "township": "320102002", "grid": "320102002001001",
    ...      "audiences": ["center:320102002-C", "team:T320102002001001"]}
    >>> visible(n, "township_dispatcher", "320102002", None), visible(n, "township_dispatcher", "320102003", None)
    (True, False)
    >>> visible(n, "department_staff", "water", None), visible(n, "grid_officer", "x", "T320102002001001")
    (False, True)
    """
    if role == Role.COUNTY_COMMANDER:
        return note["county"] == bound_to
    if role == Role.TOWNSHIP_DISPATCHER:
        return note["township"] == bound_to
    if role == Role.GRID_OFFICER:
        return note["grid"] == bound_to or (team is not None and f"team:{team}" in note["audiences"])
    if role == Role.DEPARTMENT_STAFF:
        return f"department:{bound_to}" in note["audiences"]
    return False


def missed(session: Session, after_id: int, county: str, limit: int = 500) -> list[dict]:
    """Notifications after a given id in a county (a reconnecting stream catches up), oldest first."""
    rows = session.execute(
        text(
            "SELECT id, at, event_id, action, status, level, audiences, county_code AS county, "
            "township_code AS township, grid_code AS grid FROM notifications WHERE id > :after AND county_code = :k "
            "ORDER BY id LIMIT :n"
        ),
        {"after": after_id, "k": county, "n": limit},
    ).mappings()
    return [{**r, "at": r["at"].isoformat(), "audiences": list(r["audiences"])} for r in rows]


def payload(note: dict) -> str:
    return json.dumps(note, ensure_ascii=False, default=str)
