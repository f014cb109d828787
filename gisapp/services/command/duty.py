"""Duty status of the joint-duty members (clause 7.1.1.4): reported by the members, watched by the centers.

A member reports its duty status and position; the platform derives whether the position lies in the
member's own grid and how old it is, and lists the grids with nobody on duty right now.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.errors import Conflict, ValidationFailed
from gisapp.services.access.audit import Actor, record
from gisapp.services.events.notify import announce_duty

DUTY = ("on_duty", "on_patrol", "busy", "off_duty")
ON_DUTY = ("on_duty", "on_patrol", "busy")
MEMBER_SQL = """
SELECT m.code, m.name, m.role, m.team_code, tm.grid_code, g.name AS grid_name, m.duty_status, m.position_at,
       ST_X(m.position) AS lon, ST_Y(m.position) AS lat,
       CASE WHEN m.position IS NULL THEN NULL ELSE ST_Covers(g.geom, m.position) END AS inside_own_grid
FROM members m JOIN teams tm ON tm.code = m.team_code JOIN grids g ON g.code = tm.grid_code
"""


def member_of(session: Session, username: str) -> str:
    code = session.execute(
        text("SELECT member_code FROM users WHERE username = :u"), {"u": username}
    ).scalar_one_or_none()
    if code is None:
        raise Conflict("this account is not linked to a team member: ask the security administrator", code="no_member")
    return code


def _view(row, now: datetime, stale_after_s: int) -> dict:
    age = int((now - row.position_at).total_seconds()) if row.position_at else None
    return {
        "member": {"code": row.code, "name": row.name, "role": row.role, "team_code": row.team_code},
        "grid": {"code": row.grid_code, "name": row.grid_name},
        "duty_status": row.duty_status,
        "position": {"type": "Point", "coordinates": [row.lon, row.lat]} if row.lon is not None else None,
        "position_age_s": age,
        "stale": age is None or age > stale_after_s,
        "inside_own_grid": row.inside_own_grid,
    }


def report_status(
    session: Session,
    key: bytes,
    actor: Actor,
    username: str | None,
    status: str,
    position: tuple[float, float] | None,
    *,
    now: datetime | None = None,
    stale_after_s: int = 900,
    member: str | None = None,
) -> dict:
    """A member's report: its status (audited when it changes) and, if given, its WGS84 position.

    The member is the one the account `username` reports for, or `member` when no account speaks for it
    (the demo county's simulated members, gisapp/demo/simulate.py)."""
    if status not in DUTY:
        raise ValidationFailed(
            f"duty_status: one of {', '.join(DUTY)}", code="invalid_duty_status", field="duty_status"
        )
    now = now or datetime.now(timezone.utc)
    code = member or member_of(session, username or "")
    before = session.execute(
        text("SELECT duty_status FROM members WHERE code = :c FOR UPDATE"), {"c": code}
    ).scalar_one()
    session.execute(
        text(
            "UPDATE members SET duty_status = :s, "
            "status_at = CASE WHEN duty_status <> :s THEN :now ELSE status_at END, "
            "position = COALESCE(ST_SetSRID(ST_MakePoint(CAST(:lon AS float8), CAST(:lat AS float8)), 4326), "
            "position), "
            "position_at = CASE WHEN CAST(:lon AS float8) IS NULL THEN position_at ELSE :now END WHERE code = :c"
        ),
        {
            "s": status,
            "now": now,
            "lon": position[0] if position else None,
            "lat": position[1] if position else None,
            "c": code,
        },
    )
    if before != status:
        record(
            session, key, actor, "duty.status", target=f"member:{code}", details={"from": before, "to": status}, at=now
        )
    announce_duty(session, code)  # the dashboards of its county and township see it move
    row = session.execute(text(MEMBER_SQL + " WHERE m.code = :c"), {"c": code}).one()
    return _view(row, now, stale_after_s)


def duty_board(
    session: Session, area_column: str, area_code: str, *, now: datetime | None = None, stale_after_s: int = 900
) -> dict:
    """The members of an area (county or township) with their status, and the grids nobody is on duty in."""
    now = now or datetime.now(timezone.utc)
    where = f" WHERE g.code IN (SELECT gd.grid_code FROM grid_directory gd WHERE gd.{area_column} = :a)"
    members = [
        _view(r, now, stale_after_s)
        for r in session.execute(text(MEMBER_SQL + where + " ORDER BY g.code, m.code"), {"a": area_code})
    ]
    uncovered = session.execute(
        text(
            f"SELECT gd.grid_code, gd.grid_name, gd.team_code FROM grid_directory gd WHERE gd.{area_column} = :a "
            "AND NOT EXISTS (SELECT 1 FROM members m WHERE m.team_code = gd.team_code "
            "AND m.duty_status = ANY(:on)) ORDER BY gd.grid_code"
        ),
        {"a": area_code, "on": list(ON_DUTY)},
    ).all()
    on_duty = [m for m in members if m["duty_status"] in ON_DUTY]
    return {
        "summary": {
            "members": len(members),
            "on_duty": len(on_duty),
            "stale": sum(m["stale"] for m in on_duty),
            "outside_own_grid": sum(m["inside_own_grid"] is False for m in on_duty),
            "grids_without_duty": len(uncovered),
        },
        "grids_without_duty": [{"code": g.grid_code, "name": g.grid_name, "team_code": g.team_code} for g in uncovered],
        "members": members,
    }
