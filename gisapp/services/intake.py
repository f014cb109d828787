"""Event intake (standard 6.1-6.2): convert, geocode, route and record in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.deadlines import deadlines_for
from gisapp.domain.events import EventStatus
from gisapp.domain.intake import EventReport
from gisapp.domain.routing import Party, route_event
from gisapp.errors import Conflict, ValidationFailed
from gisapp.services.events import find_by_client_ref, serialize_event
from gisapp.services.geocode import COVERING_GRID, Location, location_from_row, outside
from gisapp.spatial.crs import to_wgs84

# the category and the geocoded place in one round trip; the place only for a known category
CONTEXT_SQL = text("""
SELECT c.code, c.name, c.kind_code, c.priority, c.level, c.response_minutes, c.handling_minutes,
       d.code AS department_code, d.name AS department_name, l.*
FROM (SELECT 1) AS one
LEFT JOIN categories c ON c.code = :code
LEFT JOIN departments d ON d.code = c.department_code
LEFT JOIN LATERAL ({covering}) AS l ON c.code IS NOT NULL
""".format(covering=COVERING_GRID))

INSERT_SQL = text("""
WITH ins AS (
    INSERT INTO events (client_ref, request_hash, category_code, description, channel, status, level,
                        priority, geom, reported_crs, reported_lon, reported_lat, grid_code,
                        community_code, township_code, county_code, center_code, assignee_kind,
                        team_code, department_code, reporter_name, reporter_phone, respond_by,
                        handle_by, created_at)
    VALUES (:client_ref, :request_hash, :category_code, :description, :channel, :status, :level,
            :priority, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :reported_crs, :reported_lon,
            :reported_lat, :grid_code, :community_code, :township_code, :county_code, :center_code,
            :assignee_kind, :team_code, :department_code, :reporter_name, :reporter_phone,
            :respond_by, :handle_by, :created_at)
    ON CONFLICT (client_ref) DO NOTHING
    RETURNING id, created_at
), logged AS (
    INSERT INTO event_log (event_id, at, actor, action, from_status, to_status, note)
    SELECT id, created_at, :actor, 'created', NULL, :status, :note FROM ins
)
SELECT id FROM ins
""")


@dataclass(frozen=True)
class IntakeResult:
    event: dict
    created: bool  # False when a retry with the same client_ref found the original


def _replay(session: Session, report: EventReport) -> IntakeResult | None:
    """The original event of a retried report, or 409 when the client_ref meant something else."""
    found = find_by_client_ref(session, report.client_ref) if report.client_ref else None
    if found is None:
        return None
    event, fingerprint = found
    if fingerprint != report.fingerprint():
        raise Conflict(f"client_ref {report.client_ref!r} was already used for a different report "
                       f"(event {event['id']}); use a new client_ref for a new report",
                       code="client_ref_conflict")
    return IntakeResult(event, created=False)


def _party(kind: str, area) -> Party | None:
    return Party(kind, area.code, area.name) if area else None


def submit_event(session: Session, report: EventReport, *, actor: str,
                 now: datetime | None = None) -> IntakeResult:
    """Record a validated report as a routed event with deadlines and its first log entry.

    Idempotent on report.client_ref: a retry returns the original event, also when two
    retries race. The unique index decides: the insert of a known client_ref does nothing and
    the original is read back. Retries are rare, so the common path pays no look-up for them.
    """
    lon, lat = to_wgs84(report.point.lon, report.point.lat, report.crs)
    context = session.execute(CONTEXT_SQL, {"code": report.category, "lon": lon, "lat": lat}).one()
    if context.code is None:
        raise ValidationFailed(f"unknown category {report.category!r}; see GET /api/v1/categories",
                               code="unknown_category", field="category")
    if context.grid_code is None:
        raise outside(lon, lat)
    where: Location = location_from_row(context)
    category = context._mapping
    route = route_event(
        category_level=category["level"], grid_team=_party("team", where.team),
        township_center=_party("center", where.township_center),
        county_center=_party("center", where.county_center),
        department=Party("department", category["department_code"], category["department_name"]),
    )
    created_at = now or datetime.now(timezone.utc)
    due = deadlines_for(created_at, response_minutes=category["response_minutes"],
                        handling_minutes=category["handling_minutes"])
    row = {
        "client_ref": report.client_ref, "request_hash": report.fingerprint(),
        "category_code": category["code"], "category_name": category["name"],
        "kind_code": category["kind_code"], "description": report.description,
        "channel": str(report.channel), "status": str(EventStatus.DISPATCHED), "level": int(route.level),
        "priority": category["priority"], "lon": lon, "lat": lat, "reported_crs": str(report.crs),
        "reported_lon": report.point.lon, "reported_lat": report.point.lat,
        "grid_code": where.grid.code, "grid_name": where.grid.name,
        "community_code": where.community.code, "community_name": where.community.name,
        "township_code": where.township.code, "township_name": where.township.name,
        "county_code": where.county.code, "county_name": where.county.name,
        "center_code": route.center.code, "center_name": route.center.name,
        "assignee_kind": route.assignee.kind, "assignee_code": route.assignee.code,
        "assignee_name": route.assignee.name,
        "team_code": route.assignee.code if route.assignee.kind == "team" else None,
        "department_code": category["department_code"] if route.level == 2 else None,
        "reporter_name": report.reporter_name, "reporter_phone": report.reporter_phone,
        "respond_by": due.respond_by, "handle_by": due.handle_by, "created_at": created_at,
        "actor": actor,
        "note": f"level {int(route.level)} dispatch to {route.assignee.name} via {route.center.name}",
    }
    new_id = session.execute(INSERT_SQL, row).scalar_one_or_none()
    if new_id is None:  # this client_ref is already recorded (a retry, or a racing twin)
        replay = _replay(session, report)
        assert replay is not None
        return replay
    return IntakeResult(serialize_event({**row, "id": new_id}), created=True)
