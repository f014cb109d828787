"""Event intake (standard 6.1-6.2): convert, geocode, route and record in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from gisapp.db import Prepared
from gisapp.domain.events import EventStatus, Priority, graver
from gisapp.domain.intake import EventReport
from gisapp.domain.routing import Party, route_event
from gisapp.errors import Conflict, OutsideJurisdiction, ValidationFailed
from gisapp.services.access.audit import Actor, record
from gisapp.services.events.notify import announce
from gisapp.services.events.read import find_by_client_ref, serialize_event
from gisapp.services.jurisdiction.geocode import Location, covering_grid, location_from_row, outside
from gisapp.services.jurisdiction.worktime import category_deadlines

# the category and the geocoded place in one round trip; the place only for a known category
CONTEXT = Prepared(
    "gisapp_intake_context",
    f"""
SELECT c.code, c.name, c.kind_code, c.priority, c.level, c.response_minutes, c.handling_minutes,
       c.handling_unit, c.handling_amount,
       d.code AS department_code, d.name AS department_name, l.*
FROM (SELECT 1) AS one
LEFT JOIN categories c ON c.code = $1
LEFT JOIN departments d ON d.code = c.department_code
LEFT JOIN LATERAL ({covering_grid("$2", "$3")}) AS l ON c.code IS NOT NULL
""",
    ("text", "float8", "float8"),
)

# (column, SQL type) of the event row, in parameter order; lon and lat make the point
EVENT_FIELDS = (
    ("submitted_by", "text"),
    ("client_ref", "text"),
    ("request_hash", "text"),
    ("category_code", "text"),
    ("description", "text"),
    ("channel", "text"),
    ("status", "text"),
    ("level", "smallint"),
    ("priority", "text"),
    ("reported_crs", "text"),
    ("reported_lon", "float8"),
    ("reported_lat", "float8"),
    ("grid_code", "text"),
    ("community_code", "text"),
    ("township_code", "text"),
    ("county_code", "text"),
    ("center_code", "text"),
    ("assignee_kind", "text"),
    ("team_code", "text"),
    ("department_code", "text"),
    ("reporter_name", "text"),
    ("reporter_phone", "text"),
    ("respond_by", "timestamptz"),
    ("handle_by", "timestamptz"),
    ("created_at", "timestamptz"),
)
INSERT_FIELDS = EVENT_FIELDS + (
    ("lon", "float8"),
    ("lat", "float8"),
    ("actor", "text"),
    ("note", "text"),
    ("repeat_radius_m", "float8"),
    ("repeat_days", "integer"),
)
_n = len(EVENT_FIELDS)


def _p(name: str) -> str:
    """The placeholder of a field of the prepared insert."""
    return f"${[field for field, _ in INSERT_FIELDS].index(name) + 1}"


_point = f"ST_SetSRID(ST_MakePoint({_p('lon')}, {_p('lat')}), 4326)"

# the nearest event of the same category closed within repeat_days and repeat_radius_m (a repeat, 6.3):
# the box prefilter uses the partial GiST index on closed events, the geography distance decides
PRIOR = f"""
    SELECT p.id FROM events p
    WHERE p.status = 'closed' AND p.category_code = {_p("category_code")}
      AND p.closed_at >= {_p("created_at")} - make_interval(days => {_p("repeat_days")})
      AND p.geom && ST_Expand({_point}, {_p("repeat_radius_m")} / 50000.0)  -- degrees: enough up to 60° N
      AND ST_DWithin(p.geom::geography, {_point}::geography, {_p("repeat_radius_m")})
    ORDER BY p.geom::geography <-> {_point}::geography LIMIT 1"""

INSERT = Prepared(
    "gisapp_intake_insert",
    f"""
WITH prior AS ({PRIOR}
), ins AS (
    INSERT INTO events ({", ".join(name for name, _ in EVENT_FIELDS)}, geom, repeat_of)
    VALUES ({", ".join(f"${i}" for i in range(1, _n + 1))}, {_point}, (SELECT id FROM prior))
    ON CONFLICT (submitted_by, client_ref) DO NOTHING
    RETURNING id, created_at, status, assignee_kind, team_code, department_code, respond_by, handle_by, repeat_of
), flagged AS (
    UPDATE events SET repeat_count = repeat_count + 1 WHERE id = (SELECT repeat_of FROM ins)
), tasked AS (
    INSERT INTO event_tasks (event_id, kind, team_code, department_code, status, dispatched_at, respond_by,
                             handle_by, open_due)
    SELECT id, 'handle', team_code, CASE WHEN team_code IS NULL THEN department_code END, 'dispatched',
           created_at, respond_by, handle_by, handle_by
    FROM ins WHERE status = 'dispatched'
), logged AS (
    INSERT INTO event_log (event_id, at, actor, action, from_status, to_status, note)
    SELECT id, created_at, ${_n + 3}, 'created', NULL, status, ${_n + 4} FROM ins
)
SELECT id, repeat_of FROM ins
""",
    tuple(sql_type for _, sql_type in INSERT_FIELDS),
)


@dataclass(frozen=True)
class IntakeResult:
    event: dict
    created: bool  # False when a retry with the same client_ref found the original


@dataclass(frozen=True)
class Submitter:
    """Who reports: recorded on the event (it may read it back), in its log and in the audit trail."""

    key: str  # "user:<name>" or "integration:<code>"
    actor: Actor
    county: str | None = None  # the county it may report in (None: any)
    accepts: bool = True  # staff reports are accepted and dispatched at once; outside systems' await 受理


def _replay(session: Session, report: EventReport, submitter: str) -> IntakeResult | None:
    """The original event of a retried report, or 409 when the client_ref meant something else."""
    found = find_by_client_ref(session, submitter, report.client_ref) if report.client_ref else None
    if found is None:
        return None
    event, fingerprint = found
    if fingerprint != report.fingerprint():
        raise Conflict(
            f"client_ref {report.client_ref!r} was already used for a different report "
            f"(event {event['id']}); use a new client_ref for a new report",
            code="client_ref_conflict",
        )
    return IntakeResult(event, created=False)


def _party(kind: str, area) -> Party | None:
    return Party(kind, area.code, area.name) if area else None


def _first_status(by: Submitter, route) -> EventStatus:
    """Reported (awaiting acceptance) from outside systems; dispatched from staff when there is a receiver."""
    if not by.accepts:
        return EventStatus.REPORTED
    return EventStatus.DISPATCHED if route.assignee.kind in ("team", "department") else EventStatus.ACCEPTED


@dataclass(frozen=True)
class RepeatRule:
    """A new event is a repeat of one of its category closed within `days` and `radius_m` (clause 6.3)."""

    radius_m: float = 100.0
    days: int = 30


def _route(report: EventReport, category: dict, where: Location):
    """Level 1 or 2 and the receiver (6.2.1): the category's level, raised by an emergency or a staff reporter."""
    return route_event(
        category_level=category["level"],
        grid_team=_party("team", where.team),
        township_center=_party("center", where.township_center),
        county_center=_party("center", where.county_center),
        department=Party("department", category["department_code"], category["department_name"]),
        urgent=graver(category["priority"], report.priority) == Priority.URGENT or report.level2_reason is not None,
    )


def _event_row(
    report: EventReport,
    by: Submitter,
    category: dict,
    where: Location,
    route,
    point: tuple,
    created_at: datetime,
    repeat: RepeatRule,
    due,
) -> dict:
    """The new event's values: what the prepared insert takes and what the answer shows."""
    lon, lat = point
    return {
        "client_ref": report.client_ref,
        "request_hash": report.fingerprint(),
        "category_code": category["code"],
        "category_name": category["name"],
        "kind_code": category["kind_code"],
        "description": report.description,
        "channel": str(report.channel),
        "status": str(_first_status(by, route)),
        "level": int(route.level),
        "priority": str(graver(category["priority"], report.priority)),
        "lon": lon,
        "lat": lat,
        "reported_crs": str(report.crs),
        "reported_lon": report.point.lon,
        "reported_lat": report.point.lat,
        "grid_code": where.grid.code,
        "grid_name": where.grid.name,
        "community_code": where.community.code,
        "community_name": where.community.name,
        "township_code": where.township.code,
        "township_name": where.township.name,
        "county_code": where.county.code,
        "county_name": where.county.name,
        "center_code": route.center.code,
        "center_name": route.center.name,
        "assignee_kind": route.assignee.kind,
        "assignee_code": route.assignee.code,
        "assignee_name": route.assignee.name,
        "team_code": route.assignee.code if route.assignee.kind == "team" else None,
        "department_code": category["department_code"] if route.level == 2 else None,
        "reporter_name": report.reporter_name,
        "reporter_phone": report.reporter_phone,
        "respond_by": due.respond_by,
        "handle_by": due.handle_by,
        "created_at": created_at,
        "actor": by.actor.name,
        "submitted_by": by.key,
        "repeat_radius_m": repeat.radius_m,
        "repeat_days": repeat.days,
        "note": f"level {int(route.level)} dispatch to {route.assignee.name} via {route.center.name}"
        + (f" ({report.level2_reason})" if report.level2_reason else ""),
    }


def submit_event(
    session: Session,
    report: EventReport,
    *,
    by: Submitter,
    audit_key: bytes | None,
    now: datetime | None = None,
    repeat: RepeatRule = RepeatRule(),
) -> IntakeResult:
    """Record a validated report as a routed event with deadlines, its first log entry and its audit record.

    audit_key None: no audit record per event (a bulk import of history, audited as a whole by its caller).

    Idempotent on report.client_ref: a retry returns the original event, also when two
    retries race. The unique index decides: the insert of a known client_ref does nothing and
    the original is read back. Retries are rare, so the common path pays no look-up for them.
    """
    lon, lat = report.location.x, report.location.y  # WGS84, converted at the edge
    context = CONTEXT.fetch_one(session, (report.category, lon, lat))
    if context.code is None:
        raise ValidationFailed(
            f"unknown category {report.category!r}; see GET /api/v1/categories",
            code="unknown_category",
            field="category",
        )
    if context.grid_code is None:
        raise outside(lon, lat)
    where: Location = location_from_row(context)
    if by.county not in (None, where.county.code):
        raise OutsideJurisdiction(f"the location is in {where.county.name}, outside the county you serve")
    category = context._asdict()
    route = _route(report, category, where)
    created_at = now or datetime.now(timezone.utc)
    row = _event_row(
        report,
        by,
        category,
        where,
        route,
        (lon, lat),
        created_at,
        repeat,
        category_deadlines(session, category, created_at),
    )
    inserted = INSERT.fetch_one(session, [row[name] for name, _ in INSERT_FIELDS])
    if inserted is None:  # this client_ref is already recorded (a retry, or a racing twin)
        replay = _replay(session, report, by.key)
        assert replay is not None
        return replay
    receivers = {f"{row['assignee_kind']}:{row['assignee_code']}"} if row["status"] == "dispatched" else set()
    announce(session, inserted.id, "created", receivers, at=created_at, center=row["center_code"])
    if audit_key is not None:
        record(
            session,
            audit_key,
            by.actor,
            "event.create",
            target=f"event:{inserted.id}",
            details={"level": row["level"], "assignee": row["assignee_code"], "grid": row["grid_code"]},
        )
    return IntakeResult(serialize_event({**row, "id": inserted.id, "repeat_of": inserted.repeat_of}), created=True)
