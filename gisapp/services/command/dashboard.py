"""The commander dashboard (指挥调度, standard 7.2.1.1): the open events by urgency, the load of each grid,
the figures of today and the search box, all within the caller's area."""

from __future__ import annotations

import re
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.permissions import Scope
from gisapp.services.events.read import scope_clause

CST = ZoneInfo("Asia/Shanghai")
CLOSED = ("closed", "voided")
OPEN_TASK = "('dispatched', 'acknowledged', 'on_scene')"
# the worst supervision state of an event's open tasks: 2 overdue, 1 warned, 0 on time
SUPERVISION_SQL = f"""COALESCE((SELECT max(CASE s.supervision WHEN 'overdue' THEN 2 WHEN 'warned' THEN 1 ELSE 0 END)
    FROM event_tasks s WHERE s.event_id = e.id AND s.status IN {OPEN_TASK}), 0)"""
SUPERVISION_NAMES = ("on_time", "warned", "overdue")
QUEUE_LIMIT = 2000  # a county's open events; more would not be a queue anybody reads


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def urgency_key(event: dict, now: datetime) -> tuple:
    """Queue order: overdue first, then warned, urgent, level 2, then the nearest deadline, then the oldest.

    >>> now = datetime(2026, 1, 5, tzinfo=timezone.utc)
    >>> late = {"supervision": "overdue", "priority": "normal", "level": 1, "due": now, "id": 2}
    >>> urgent = {"supervision": "on_time", "priority": "urgent", "level": 2, "due": now, "id": 1}
    >>> urgency_key(late, now) < urgency_key(urgent, now)
    True
    """
    return (
        -SUPERVISION_NAMES.index(event["supervision"]),
        event["priority"] != "urgent",
        -event["level"],
        (event["due"] - now).total_seconds(),
        event["id"],
    )


# an event's handling limit as it stands (extensions, parking): the earliest of its unhandled tasks', kept by the
# life-cycle step (event_tasks.open_due; NULL while the clock is stopped); the event's own limit otherwise
HANDLE_DUE_SQL = (
    "COALESCE((SELECT min(t.open_due) FROM event_tasks t WHERE t.event_id = e.id AND t.kind = 'handle' "
    "AND t.status IN ('dispatched', 'acknowledged', 'on_scene')), e.handle_by)"
)


def open_events(session: Session, scope: Scope, *, now: datetime | None = None, limit: int = QUEUE_LIMIT) -> list[dict]:
    """The caller's open events (not closed or voided) in queue order, with their worst supervision state."""
    now = now or datetime.now(timezone.utc)
    clause, params = scope_clause(scope)
    rows = session.execute(
        text(f"""
        SELECT e.id, e.status, e.level, e.priority, e.category_code, cat.name AS category_name, cat.name_en,
               ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat, e.grid_code, g.name AS grid_name, e.township_code,
               e.respond_by, {HANDLE_DUE_SQL} AS handle_by, e.created_at, {SUPERVISION_SQL} AS supervision
        FROM events e JOIN categories cat ON cat.code = e.category_code JOIN grids g ON g.code = e.grid_code
        WHERE e.status NOT IN :closed AND {clause}
        ORDER BY e.created_at DESC LIMIT :limit"""),
        {**params, "closed": CLOSED, "limit": limit},
    ).mappings()
    events = [_queue_item(r, now) for r in rows]
    events.sort(key=lambda e: urgency_key(e, now))
    for event in events:
        event["due"] = _iso(event["due"])
    return events


def _queue_item(row, now: datetime) -> dict:
    """One queue entry; due is the next deadline: respond_by until dispatched work is under way, then handle_by."""
    responding = row["status"] in ("reported", "accepted", "dispatched") and row["respond_by"] > now
    return {
        "id": row["id"],
        "status": row["status"],
        "level": row["level"],
        "priority": row["priority"],
        "category": {"code": row["category_code"], "name": row["category_name"], "name_en": row["name_en"]},
        "location": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        "grid": {"code": row["grid_code"], "name": row["grid_name"]},
        "township_code": row["township_code"],
        "supervision": SUPERVISION_NAMES[row["supervision"]],
        "due": row["respond_by"] if responding else row["handle_by"],
        "overdue": row["supervision"] == 2 or (row["status"] != "parked" and row["handle_by"] < now),
        "created_at": _iso(row["created_at"]),
    }


def grid_load(session: Session, scope: Scope, bbox: tuple[float, float, float, float] | None) -> dict[str, list]:
    """Per grid with open events in the caller's area (optionally within a bbox): [open, overdue]."""
    clause, params = scope_clause(scope)
    where = ""
    if bbox is not None:
        where = " AND e.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)"
        params.update(zip(("minx", "miny", "maxx", "maxy"), bbox))
    rows = session.execute(
        text(f"""
        SELECT e.grid_code, count(*) AS open,
               count(*) FILTER (WHERE {SUPERVISION_SQL} = 2
                                OR (e.status <> 'parked' AND {HANDLE_DUE_SQL} < now())) AS overdue
        FROM events e WHERE e.status NOT IN :closed AND {clause}{where} GROUP BY e.grid_code"""),
        {**params, "closed": CLOSED},
    )
    return {r.grid_code: [r.open, r.overdue] for r in rows}


def today_start(now: datetime) -> datetime:
    """Midnight of today in China Standard Time, as an aware datetime.

    >>> today_start(datetime(2026, 1, 5, 17, 0, tzinfo=timezone.utc)).isoformat()
    '2026-01-06T00:00:00+08:00'
    """
    return datetime.combine(now.astimezone(CST).date(), time(0), tzinfo=CST)


def today_figures(session: Session, scope: Scope, *, now: datetime | None = None) -> dict:
    """The headline figures of today (China Standard Time) in the caller's area."""
    now = now or datetime.now(timezone.utc)
    start = today_start(now)
    clause, params = scope_clause(scope)
    row = session.execute(
        text(f"""
        SELECT count(*) FILTER (WHERE e.created_at >= :start) AS reported,
               count(*) FILTER (WHERE e.status = 'closed' AND EXISTS (SELECT 1 FROM event_log l WHERE
                   l.event_id = e.id AND l.action = 'close' AND l.at >= :start)) AS closed,
               count(*) FILTER (WHERE e.status NOT IN :closed) AS open,
               count(*) FILTER (WHERE e.status NOT IN :closed AND {SUPERVISION_SQL} = 1) AS warned,
               count(*) FILTER (WHERE e.status NOT IN :closed AND ({SUPERVISION_SQL} = 2
                                OR (e.status <> 'parked' AND {HANDLE_DUE_SQL} < :now))) AS overdue,
               count(*) FILTER (WHERE e.status NOT IN :closed AND e.level = 2) AS level2
        FROM events e WHERE {clause}"""),
        {**params, "start": start, "now": now, "closed": CLOSED},
    ).one()
    return {
        "date": start.date().isoformat(),
        "timezone": "Asia/Shanghai",
        **row._asdict(),
        "on_duty": on_duty_count(session, scope),
    }


EVENT_ID = re.compile(r"^#?(\d{1,12})$")
COORDS = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)\s*$")
# what the search box finds by code or name: (kind, table alias t, extra join)
SEARCHABLE = (
    ("township", "townships t", "t.code"),
    ("community", "communities t", "t.code"),
    ("grid", "grids t", "t.code"),
    ("key-location", "key_locations t", "t.code"),
    ("key-road", "key_roads t", "t.code"),
)
SEARCH_LIMIT = 10


def search_places(session: Session, area: tuple[str, dict], q: str) -> list[dict]:
    """Areas, grids, key locations and roads of the caller's area whose code starts with q or name holds it."""
    clause, params = area
    found: list[dict] = []
    for kind, source, code in SEARCHABLE:
        rows = session.execute(
            text(f"""
            SELECT {code} AS code, t.name, ST_X(ST_PointOnSurface(t.geom)) AS lon,
                   ST_Y(ST_PointOnSurface(t.geom)) AS lat, ST_XMin(t.geom) AS x0, ST_YMin(t.geom) AS y0,
                   ST_XMax(t.geom) AS x1, ST_YMax(t.geom) AS y1
            FROM {source} WHERE ({code} LIKE :prefix OR t.name LIKE :inside) AND {clause}
            ORDER BY length(t.name), {code} LIMIT :limit"""),
            {**params, "prefix": _like(q) + "%", "inside": "%" + _like(q) + "%", "limit": SEARCH_LIMIT},
        )
        found += [
            {"kind": kind, "code": r.code, "name": r.name, "point": [r.lon, r.lat], "bbox": [r.x0, r.y0, r.x1, r.y1]}
            for r in rows
        ]
    return found[: SEARCH_LIMIT * 2]


def _like(q: str) -> str:
    """q with LIKE's wildcards escaped (the default escape character is the backslash)."""
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


MEMBERS_LIMIT = 3000  # a view's members; more would not be read on a map
AREA_COLUMNS = frozenset({"county_code", "township_code"})
STALE_AFTER_S = 900  # as the duty board: a position older than this is stale


def members_in_view(
    session: Session, scope: Scope, bbox: tuple[float, float, float, float], *, now: datetime | None = None
) -> list[dict]:
    """The members of the caller's county or township not off duty whose position lies in a bbox, with its age."""
    if scope.column not in AREA_COLUMNS:
        return []
    now = now or datetime.now(timezone.utc)
    rows = session.execute(
        text(f"""
        SELECT m.code, m.name, m.role, m.team_code, m.duty_status, ST_X(m.position) AS lon,
               ST_Y(m.position) AS lat, m.position_at, gd.grid_code, gd.grid_name
        FROM members m JOIN grid_directory gd ON gd.team_code = m.team_code
        WHERE gd.{scope.column} = :v AND m.duty_status <> 'off_duty'
          AND m.position && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)
        ORDER BY m.code LIMIT :limit"""),
        {"v": scope.value, "limit": MEMBERS_LIMIT, **dict(zip(("minx", "miny", "maxx", "maxy"), bbox))},
    )
    out = []
    for r in rows:
        age = int((now - r.position_at).total_seconds()) if r.position_at else None
        out.append(
            {
                "member": {"code": r.code, "name": r.name, "role": r.role, "team_code": r.team_code},
                "grid": {"code": r.grid_code, "name": r.grid_name},
                "duty_status": r.duty_status,
                "position": {"type": "Point", "coordinates": [r.lon, r.lat]},
                "position_age_s": age,
                "stale": age is None or age > STALE_AFTER_S,
            }
        )
    return out


def on_duty_count(session: Session, scope: Scope) -> int:
    """How many members of the caller's county or township are on duty, on patrol or busy now."""
    if scope.column not in AREA_COLUMNS:
        return 0
    return session.execute(
        text(f"""
        SELECT count(*) FROM members m JOIN grid_directory gd ON gd.team_code = m.team_code
        WHERE gd.{scope.column} = :v AND m.duty_status IN ('on_duty', 'on_patrol', 'busy')"""),
        {"v": scope.value},
    ).scalar_one()
