"""Event intake and reading (standard 6.1-6.2)."""
from __future__ import annotations

from urllib.parse import urlencode

from apiflask import APIBlueprint
from flask import jsonify, request

from gisapp.api import audit_key, db_session, require_json_body, settings
from gisapp.api.auth import request_actor, require_role
from gisapp.api.params import bbox_param, int_param, time_param
from gisapp.api.schemas import EventIn, EventOut, EventPage, EventQuery, error_response, ref_response
from gisapp.domain.events import EventStatus
from gisapp.domain.intake import parse_event_report
from gisapp.domain.security import Role
from gisapp.errors import NotFound, ValidationFailed
from gisapp.services.audit import record
from gisapp.services.events import EventFilter, get_event, list_events, reporter_of
from gisapp.services.intake import submit_event

bp = APIBlueprint("events", __name__, url_prefix="/api/v1", tag="events")

INTAKE_ERRORS = {
    400: error_response("malformed_json"), 409: error_response("client_ref_conflict"),
    413: error_response("payload_too_large"), 415: error_response("unsupported_media_type"),
    422: error_response("invalid input: missing_category, unknown_category, missing_location, malformed_location, "
          "invalid_coordinates, coordinates_out_of_range, unknown_crs, missing_channel, unknown_channel, "
          "invalid_reporter, invalid_client_ref, invalid_description, unknown_field, invalid_body, "
          "outside_jurisdiction"),
}


bp.before_request(require_json_body)


@bp.post("/events")
@bp.input(EventIn, location="json", arg_name="body", validation=False)
@bp.output(EventOut, status_code=201, description="the event was created and routed")
@bp.doc(summary="Report an event: geocoded to its grid and routed",
        responses={200: ref_response("a retry with the same client_ref: the original event", "EventOut"),
                   **INTAKE_ERRORS})
def create_event(body):
    # body: the decoded JSON, documented by EventIn; the domain validates it with stable codes
    report = parse_event_report(body)
    session = db_session()
    result = submit_event(session, report, actor="api")
    session.commit()
    # the service already returns the documented shape (tests check it against EventOut), so the
    # response skips a second serialisation pass through marshmallow on the busiest route
    response = jsonify(result.event)
    response.status_code = 201 if result.created else 200
    response.headers["Location"] = f"/api/v1/events/{result.event['id']}"
    return response


@bp.get("/events/<int:event_id>")
@bp.output(EventOut)
@bp.doc(summary="One event", responses={404: error_response("event_not_found")})
def read_event(event_id: int):
    return get_event(db_session(), event_id)


@bp.get("/events")
@bp.input(EventQuery, location="query", validation=False)
@bp.output(EventPage)
@bp.doc(summary="Events, newest first, filtered and paginated", responses={422: error_response("invalid filter")})
def list_all(query_data):
    cfg = settings()
    status = request.args.get("status")
    if status is not None and status not in set(EventStatus):
        raise ValidationFailed(f"status must be one of {', '.join(EventStatus)}", code="unknown_status",
                               field="status")
    flt = EventFilter(grid=request.args.get("grid"), township=request.args.get("township"), status=status,
                      category=request.args.get("category"), bbox=bbox_param(),
                      since=time_param("since"), until=time_param("until"))
    limit = int_param("limit", cfg.page_limit_default, minimum=1, maximum=cfg.page_limit_max)
    offset = int_param("offset", 0, minimum=0)
    items, total = list_events(db_session(), flt, limit=limit, offset=offset)
    following = None
    if offset + len(items) < total:
        args = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
        following = f"{request.path}?{urlencode({**args, 'limit': limit, 'offset': offset + limit})}"
    return {"items": items, "total": total, "next": following}


UNMASKING_ROLES = (Role.COUNTY_COMMANDER, Role.TOWNSHIP_DISPATCHER, Role.GRID_OFFICER, Role.DEPARTMENT_STAFF)


def _may_see_reporter(account, scope: dict) -> bool:
    """Commanders of the county, dispatchers of the event's township, its grid's officers, its department."""
    return {
        Role.COUNTY_COMMANDER: scope["county_code"],
        Role.TOWNSHIP_DISPATCHER: scope["township_code"],
        Role.GRID_OFFICER: scope["grid_code"],
        Role.DEPARTMENT_STAFF: scope["department_code"],
    }.get(account.role) == account.bound_to


@bp.get("/events/<int:event_id>/reporter")
@bp.doc(summary="Unmask the reporter's name and phone: a deliberate, audited action",
        responses={401: error_response("authentication_required"), 403: error_response("forbidden"),
                   404: error_response("event_not_found (also outside the caller's area)")})
def unmask_reporter(event_id: int):
    account = require_role(*UNMASKING_ROLES)
    session = db_session()
    scope = reporter_of(session, event_id)
    if scope is None or not _may_see_reporter(account, scope):
        raise NotFound(f"event {event_id} does not exist", code="event_not_found")
    record(session, audit_key(), request_actor(account), "personal_data.unmask", target=f"event:{event_id}")
    session.commit()
    return {"name": scope["reporter_name"], "phone": scope["reporter_phone"]}
