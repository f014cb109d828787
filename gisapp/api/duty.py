"""Duty status (clause 7.1.1.4): members report theirs; the centers see their area's."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import request

from gisapp.api import access, audit_key, db_session, require_json_body
from gisapp.api.params import int_param
from gisapp.api.schemas import error_responses
from gisapp.domain.intake import parse_point
from gisapp.errors import ValidationFailed
from gisapp.services.command.duty import duty_board, report_status
from gisapp.spatial.crs import UnknownCrs, parse_crs, to_wgs84

bp = APIBlueprint("duty", __name__, url_prefix="/api/v1", tag="duty")
bp.before_request(require_json_body)
FIELDS = {"duty_status", "position", "crs"}


def _position(body: dict) -> tuple[float, float] | None:
    if body.get("position") is None:
        return None
    try:
        crs = parse_crs(body.get("crs"))
    except UnknownCrs as exc:
        raise ValidationFailed(str(exc), code="unknown_crs", field="crs") from None
    point = parse_point(body["position"])
    return to_wgs84(point.lon, point.lat, crs)


@bp.post("/members/me/status")
@bp.doc(
    summary="A member reports its duty status (on_duty, on_patrol, busy, off_duty) and position "
    "(any supported CRS); answers whether it is inside its own grid",
    responses=error_responses(
        "no_member",
        "invalid_duty_status",
        "unknown_field",
        "malformed_location",
        "invalid_coordinates",
        "coordinates_out_of_range",
        "unknown_crs",
    ),
)
def report():
    body = request.get_json()
    if not isinstance(body, dict):
        raise ValidationFailed('send {"duty_status": "...", "position": {...}}', code="invalid_body")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown field {unknown[0]!r}", code="unknown_field", field=unknown[0])
    principal = access.current()
    session = db_session()
    view = report_status(
        session, audit_key(), principal.actor, principal.name, body.get("duty_status"), _position(body)
    )
    session.commit()
    return view


@bp.get("/duty")
@bp.doc(
    summary="The duty board of the caller's county or township: members, their status, position age, "
    "whether inside their grid, and the grids with nobody on duty",
    responses=error_responses("invalid_stale_after_s"),
)
def board():
    scope = access.current().scope()
    stale = int_param("stale_after_s", 900, minimum=60, maximum=86400)
    return duty_board(db_session(), scope.column, scope.value, stale_after_s=stale)
