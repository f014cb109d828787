"""Event intake and reading (standard 6.1-6.2)."""

from __future__ import annotations

from urllib.parse import urlencode

from apiflask import APIBlueprint
from flask import jsonify, request

from gisapp.api import access, audit_key, db_session, require_json_body, settings
from gisapp.api.params import bbox_param, int_param, time_param
from gisapp.api.schemas import (
    EventDetail,
    EventIn,
    EventOut,
    EventPage,
    EventQuery,
    StepIn,
    error_responses,
    ref_response,
)
from gisapp.domain.events import EventStatus
from gisapp.domain.intake import EVENT_REPORT, parse_event_report
from gisapp.domain.lifecycle import STEP, parse_step
from gisapp.errors import Forbidden, NotFound, ValidationFailed
from gisapp.services.access.accounts import county_of
from gisapp.services.access.audit import record
from gisapp.services.events.intake import RepeatRule, Submitter, submit_event
from gisapp.services.events.lifecycle import perform, progress, task_rows, timeline
from gisapp.services.events.photos import photos_of
from gisapp.services.events.read import EventFilter, get_event, list_events, reporter_of
from gisapp.services.events.supervision import list_supervisions
from gisapp.services.events.tracking import public_view, rate, tracking_token

bp = APIBlueprint("events", __name__, url_prefix="/api/v1", tag="events")

# the codes parse_event_report, the edge and submit_event raise (gisapp/errors.py says what each means)
INTAKE_ERRORS = error_responses(
    *EVENT_REPORT.codes(),
    "malformed_json",
    "json_too_deep",
    "client_ref_conflict",
    "payload_too_large",
    "unsupported_media_type",
    "unknown_category",
    "outside_jurisdiction",
    "invalid_text",
    "number_out_of_range",
    "rate_limited",
    "forbidden",
    "channel_not_allowed",
    "priority_not_allowed",
)
STEP_ERRORS = error_responses(
    *STEP.codes(),
    "not_your_step",
    "forbidden",
    "csrf_failed",
    "event_not_found",
    "transition_not_allowed",
    "invalid_until",
    "unknown_department",
    "unknown_member",
    "invalid_text",
    "number_out_of_range",
)


def _submitter(principal: access.Principal) -> Submitter:
    """The submitter of a report; an integration only on its channels, everyone in their own county."""
    if principal.integration is not None:
        return Submitter(principal.submitter, principal.actor, principal.integration.county_code, accepts=False)
    # a department whose county is not set reports nowhere ("" matches no county)
    return Submitter(principal.submitter, principal.actor, county_of(db_session(), principal.account) or "")


bp.before_request(require_json_body)


@bp.post("/events")
@bp.input(EventIn, location="json", arg_name="body", validation=False)
@bp.output(EventOut, status_code=201, description="the event was created and routed")
@bp.doc(
    summary="Report an event: geocoded to its grid and routed",
    responses={200: ref_response("a retry with the same client_ref: the original event", "EventOut"), **INTAKE_ERRORS},
)
def create_event(body):
    # body: the decoded JSON, documented by EventIn; the domain validates it with stable codes
    principal = access.current()
    access.rate_limit("intake", principal.submitter)
    report = parse_event_report(body)
    if principal.integration is not None and (report.priority is not None or report.level2_reason is not None):
        raise Forbidden(
            "the priority of an outside report is set by the center at acceptance", code="priority_not_allowed"
        )
    if principal.integration is not None and str(report.channel) not in principal.integration.channels:
        raise Forbidden(
            f"this integration reports on {', '.join(principal.integration.channels)} only", code="channel_not_allowed"
        )
    session = db_session()
    cfg = settings()
    result = submit_event(
        session,
        report,
        by=_submitter(principal),
        audit_key=audit_key(),
        repeat=RepeatRule(cfg.repeat_radius_m, cfg.repeat_days),
    )
    session.commit()
    # the service already returns the documented shape (tests check it against EventOut), so the
    # response skips a second serialisation pass through marshmallow on the busiest route
    response = jsonify({**result.event, "tracking_token": tracking_token(audit_key(), result.event["id"])})
    response.status_code = 201 if result.created else 200
    response.headers["Location"] = f"/api/v1/events/{result.event['id']}"
    return response


@bp.get("/events/<int:event_id>")
@bp.output(EventDetail)
@bp.doc(summary="One event in the caller's area, or reported by it", responses=error_responses("event_not_found"))
def read_event(event_id: int):
    return event_detail(db_session(), event_id, access.current().scope())


def event_detail(session, event_id: int, scope) -> dict:
    """The event with its tasks (receiver, deadlines, supervision), its timeline and its photos."""
    event = get_event(session, event_id, scope)
    return {
        **event,
        **progress(session, event_id),
        "tasks": task_rows(session, event_id),
        "timeline": timeline(session, event_id),
        "photos": photos_of(session, event_id),
    }


@bp.post("/events/<int:event_id>/actions")
@bp.input(StepIn, location="json", arg_name="body", validation=False)
@bp.doc(
    description="Answers the event as GET /api/v1/events/<id> does (EventDetail); a retry with a known "
    "client_ref answers it unchanged with X-Replayed: true.",
    summary="One step of the event's life cycle: accept, void, dispatch, acknowledge, arrive, handle, verify, "
    "close, return, request_extension, approve_extension, refuse_extension, park, restore, send_back, "
    "escalate, request_support, confirm_support",
    responses=STEP_ERRORS,
)
def act(event_id: int, body):
    # body: the decoded JSON, documented by StepIn (generated from the domain's STEP, which parse_step reads)
    principal = access.current()
    step = parse_step(body)
    session = db_session()
    outcome = perform(
        session,
        audit_key(),
        principal.account,
        principal.actor,
        event_id,
        step,
        principal.scope(),
        auto_support=settings().auto_support,
    )
    session.commit()
    response = jsonify(event_detail(session, event_id, principal.scope()))
    response.status_code = 200
    if outcome.replayed:
        response.headers["X-Replayed"] = "true"
    return response


@bp.get("/events")
@bp.input(EventQuery, location="query", validation=False)
@bp.output(EventPage)
@bp.doc(
    summary="Events in the caller's area (and those it reported), newest first, filtered and paginated",
    responses=error_responses(
        "unknown_status", "invalid_bbox", "invalid_time", "invalid_limit", "invalid_offset", "invalid_text"
    ),
)
def list_all(query_data):
    cfg = settings()
    status = request.args.get("status")
    if status is not None and status not in set(EventStatus):
        raise ValidationFailed(f"status must be one of {', '.join(EventStatus)}", code="unknown_status", field="status")
    flt = EventFilter(
        scope=access.current().scope(),
        grid=request.args.get("grid"),
        township=request.args.get("township"),
        status=status,
        category=request.args.get("category"),
        bbox=bbox_param(),
        since=time_param("since"),
        until=time_param("until"),
    )
    limit = int_param("limit", cfg.page_limit_default, minimum=1, maximum=cfg.page_limit_max)
    offset = int_param("offset", 0, minimum=0)
    items, total = list_events(db_session(), flt, limit=limit, offset=offset)
    following = None
    if offset + len(items) < total:
        args = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
        following = f"{request.path}?{urlencode({**args, 'limit': limit, 'offset': offset + limit})}"
    return {"items": items, "total": total, "next": following}


@bp.get("/events/<int:event_id>/reporter")
@bp.doc(
    summary="Unmask the reporter's name and phone: a deliberate, audited action",
    responses=error_responses("authentication_required", "forbidden", "event_not_found"),
)
def unmask_reporter(event_id: int):
    principal = access.current()
    session = db_session()
    found = reporter_of(session, event_id)
    # commanders of the county, dispatchers of the event's township, its grid's officers, its department:
    # the area scope without the "reported by me" part
    scope = principal.scope()
    if found is None or scope.column is None or found[scope.column] != scope.value:
        raise NotFound(f"event {event_id} does not exist", code="event_not_found")
    record(session, audit_key(), principal.actor, "personal_data.unmask", target=f"event:{event_id}")
    session.commit()
    return {"name": found["reporter_name"], "phone": found["reporter_phone"]}


@bp.get("/supervisions")
@bp.doc(
    summary="Supervision records (督办) of the caller's center: tasks warned or overdue, newest first",
    responses=error_responses("unknown_state", "invalid_limit", "invalid_offset"),
)
def supervisions():
    cfg = settings()
    state = request.args.get("state")
    if state is not None and state not in ("warned", "overdue"):
        raise ValidationFailed("state must be warned or overdue", code="unknown_state", field="state")
    limit = int_param("limit", cfg.page_limit_default, minimum=1, maximum=cfg.page_limit_max)
    offset = int_param("offset", 0, minimum=0)
    items, total = list_supervisions(db_session(), access.current().scope(), state=state, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@bp.get("/track/<token>")
@bp.doc(
    summary="The reporter's view of a report by its tracking token: status, milestones, the reply at closure",
    responses=error_responses("unknown_tracking_token", "rate_limited"),
)
def track(token: str):
    access.rate_limit("track", None)
    return public_view(db_session(), audit_key(), token)


@bp.post("/track/<token>/rating")
@bp.doc(
    summary="The reporter rates a closed report once: satisfied, basically_satisfied or dissatisfied "
    "(which opens a review); optional comment",
    responses=error_responses(
        "unknown_tracking_token", "not_closed", "already_rated", "invalid_rating", "invalid_comment", "rate_limited"
    ),
)
def rate_report(token: str):
    access.rate_limit("track", None)
    body = request.get_json()
    if not isinstance(body, dict):
        raise ValidationFailed('send {"rating": "...", "comment": "..."}', code="invalid_body")
    session = db_session()
    view = rate(session, audit_key(), token, body.get("rating"), body.get("comment"), client_addr=request.remote_addr)
    session.commit()
    return view
