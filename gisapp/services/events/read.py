"""Reading events: one query shape, one serializer, for the single view and the list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.permissions import Scope
from gisapp.domain.security import mask_name, mask_phone
from gisapp.errors import NotFound

EVENT_COLUMNS = """
e.id, e.status, e.level, e.priority, e.channel, e.description, e.client_ref,
e.category_code, cat.name AS category_name, cat.kind_code,
ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat, e.reported_crs, e.reported_lon, e.reported_lat,
e.grid_code, g.name AS grid_name, e.community_code, c.name AS community_name,
e.township_code, t.name AS township_name, e.county_code, k.name AS county_name,
e.center_code, cc.name AS center_name, e.assignee_kind,
COALESCE(e.team_code, e.department_code, e.center_code) AS assignee_code,
COALESCE(tm.name, d.name, cc.name) AS assignee_name,
e.reporter_name, e.reporter_phone, e.respond_by, e.handle_by, e.created_at, e.repeat_of
"""

EVENT_FROM = """
FROM events e
JOIN categories cat ON cat.code = e.category_code
JOIN grids g ON g.code = e.grid_code
JOIN communities c ON c.code = e.community_code
JOIN townships t ON t.code = e.township_code
JOIN counties k ON k.code = e.county_code
JOIN command_centers cc ON cc.code = e.center_code
LEFT JOIN teams tm ON tm.code = e.team_code AND e.assignee_kind = 'team'
LEFT JOIN departments d ON d.code = e.department_code AND e.assignee_kind = 'department'
"""


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def serialize_event(row: Mapping[str, Any], *, with_reporter: bool = True) -> dict:
    """The public JSON shape of an event, from a row of EVENT_COLUMNS (or the same keys)."""
    out = {
        "id": row["id"],
        "status": row["status"],
        "level": row["level"],
        "priority": row["priority"],
        "channel": row["channel"],
        "category": {"code": row["category_code"], "name": row["category_name"], "kind": row["kind_code"]},
        "description": row["description"],
        "location": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        "reported_location": {"crs": row["reported_crs"], "coordinates": [row["reported_lon"], row["reported_lat"]]},
        "grid": {"code": row["grid_code"], "name": row["grid_name"]},
        "community": {"code": row["community_code"], "name": row["community_name"]},
        "township": {"code": row["township_code"], "name": row["township_name"]},
        "county": {"code": row["county_code"], "name": row["county_name"]},
        "center": {"code": row["center_code"], "name": row["center_name"]},
        "assigned_to": {"kind": row["assignee_kind"], "id": row["assignee_code"], "name": row["assignee_name"]},
        "deadlines": {"respond_by": _iso(row["respond_by"]), "handle_by": _iso(row["handle_by"])},
        "client_ref": row["client_ref"],
        "repeat_of": row.get("repeat_of"),
        "created_at": _iso(row["created_at"]),
    }
    if with_reporter:  # masked: the full data only through the audited unmasking call
        out["reporter"] = {"name": mask_name(row["reporter_name"]), "phone": mask_phone(row["reporter_phone"])}
    return out


SCOPE_COLUMNS = frozenset({"county_code", "township_code", "grid_code", "department_code"})
TASK_SCOPE = {
    "department_code": "st.department_code = :scope_value",
    "grid_code": "st.team_code = (SELECT code FROM teams WHERE grid_code = :scope_value)",
}


def scope_clause(scope: Scope) -> tuple[str, dict]:
    """SQL (on events e) for the events a caller may see: its area's or department's, and its own reports."""
    if scope.column is None:
        return "e.submitted_by = :scope_submitter", {"scope_submitter": scope.submitter}
    if scope.column not in SCOPE_COLUMNS:
        raise ValueError(f"not a scope column: {scope.column}")
    own = f"e.{scope.column} = :scope_value OR e.submitted_by = :scope_submitter"
    if scope.column in TASK_SCOPE:  # also the events it was given a task in (another department, support)
        own += f" OR EXISTS (SELECT 1 FROM event_tasks st WHERE st.event_id = e.id AND {TASK_SCOPE[scope.column]})"
    return f"({own})", {"scope_value": scope.value, "scope_submitter": scope.submitter}


def get_event(session: Session, event_id: int, scope: Scope) -> dict:
    """One event by id if the scope sees it, else NotFound (whether or not it exists)."""
    clause, params = scope_clause(scope)
    row = (
        session.execute(
            text(f"SELECT {EVENT_COLUMNS} {EVENT_FROM} WHERE e.id = :id AND {clause}"), {"id": event_id, **params}
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"event {event_id} does not exist", code="event_not_found")
    return serialize_event(row)


def find_by_client_ref(session: Session, submitter: str, client_ref: str) -> tuple[dict, str | None] | None:
    """The event a submitter recorded under its client reference, and its request fingerprint, if any."""
    row = (
        session.execute(
            text(
                f"SELECT {EVENT_COLUMNS}, e.request_hash {EVENT_FROM} "
                "WHERE e.submitted_by = :by AND e.client_ref = :ref"
            ),
            {"by": submitter, "ref": client_ref},
        )
        .mappings()
        .one_or_none()
    )
    return (serialize_event(row), row["request_hash"]) if row else None


@dataclass(frozen=True)
class EventFilter:
    scope: Scope
    grid: str | None = None
    township: str | None = None
    status: str | None = None
    category: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    since: datetime | None = None
    until: datetime | None = None


def _where(f: EventFilter) -> tuple[str, dict]:
    clause, params = scope_clause(f.scope)
    clauses = [clause]
    for column, value in (
        ("e.grid_code", f.grid),
        ("e.township_code", f.township),
        ("e.status", f.status),
        ("e.category_code", f.category),
    ):
        if value is not None:
            name = column.split(".")[1]
            clauses.append(f"{column} = :{name}")
            params[name] = value
    if f.bbox is not None:
        clauses.append("e.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)")
        params.update(zip(("minx", "miny", "maxx", "maxy"), f.bbox))
    if f.since is not None:
        clauses.append("e.created_at >= :since")
        params["since"] = f.since
    if f.until is not None:
        clauses.append("e.created_at < :until")
        params["until"] = f.until
    return " WHERE " + " AND ".join(clauses), params


def has_events(session: Session) -> bool:
    """Whether any event has been recorded."""
    return session.execute(text("SELECT EXISTS (SELECT 1 FROM events)")).scalar_one()


def list_events(session: Session, f: EventFilter, *, limit: int, offset: int) -> tuple[list[dict], int]:
    """A page of events, newest first, and the total matching the filter."""
    where, params = _where(f)
    total = session.execute(text(f"SELECT count(*) FROM events e {where}"), params).scalar_one()
    rows = (
        session.execute(
            text(
                f"SELECT {EVENT_COLUMNS} {EVENT_FROM} {where} "
                "ORDER BY e.created_at DESC, e.id DESC LIMIT :limit OFFSET :offset"
            ),
            {**params, "limit": limit, "offset": offset},
        )
        .mappings()
        .all()
    )
    return [serialize_event(r, with_reporter=False) for r in rows], total


def reporter_of(session: Session, event_id: int) -> dict | None:
    """The event's scope (township, grid, team, department) and its reporter, unmasked."""
    row = (
        session.execute(
            text(
                "SELECT township_code, county_code, grid_code, department_code, reporter_name, reporter_phone "
                "FROM events WHERE id = :id"
            ),
            {"id": event_id},
        )
        .mappings()
        .one_or_none()
    )
    return dict(row) if row else None
