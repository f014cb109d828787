"""Duplicates (standard 6.3): reports of one incident proposed as duplicates of an event, and merged into it."""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Float, Integer, List, Nested, String
from flask import jsonify, request

from gisapp.api import access, audit_key, db_session, require_json_body
from gisapp.api.params import int_param
from gisapp.api.schemas import CodeName, error_responses
from gisapp.errors import ValidationFailed
from gisapp.services.events.duplicates import DEFAULT_MINUTES, DEFAULT_RADIUS_M, propose
from gisapp.services.events.duplicates import merge as merge_events

bp = APIBlueprint("duplicates", __name__, url_prefix="/api/v1", tag="duplicates")
bp.before_request(require_json_body)

MAX_MINUTES = 24 * 60  # larger values are clamped: a day apart is not "a short time"
MAX_RADIUS_M = 2000  # larger values are clamped: two kilometres apart is not "the same spot"


class DuplicateQuery(Schema):
    minutes = Integer(
        metadata={
            "description": f"reported at most this many minutes before or after the event "
            f"(default {DEFAULT_MINUTES}, at most {MAX_MINUTES})"
        }
    )
    radius_m = Integer(
        metadata={"description": f"at most this many metres away (default {DEFAULT_RADIUS_M}, at most {MAX_RADIUS_M})"}
    )


class DuplicateCandidate(Schema):
    id = Integer()
    channel = String()
    category = Nested(CodeName)
    status = String()
    distance_m = Float(metadata={"description": "on the spheroid, metres"})
    minutes_apart = Float(metadata={"description": "between the two reports' times"})
    same_category = Boolean()
    same_channel = Boolean(metadata={"description": "same channel as the event: listed after the other channels"})


class DuplicateCandidates(Schema):
    items = List(Nested(DuplicateCandidate))


class MergeIn(Schema):
    into = Integer(required=True, metadata={"description": "the main event the report is merged into"})
    note = String(metadata={"description": "why, at most 2000 characters (both events' logs carry it)"})


class MergeOut(Schema):
    id = Integer(metadata={"description": "the merged report: kept, voided, with its reporter data"})
    merged_into = Integer()
    status = String()


@bp.get("/events/<int:event_id>/duplicates")
@bp.input(DuplicateQuery, location="query", validation=False)
@bp.output(DuplicateCandidates)
@bp.doc(
    summary="Open events that may report the same incident: near in place and time, other channels first, then nearest",
    responses=error_responses("event_not_found", "invalid_minutes", "invalid_radius_m"),
)
def proposals(event_id: int, query_data):
    minutes = int_param("minutes", DEFAULT_MINUTES, minimum=1, maximum=MAX_MINUTES)
    radius_m = int_param("radius_m", DEFAULT_RADIUS_M, minimum=1, maximum=MAX_RADIUS_M)
    items = propose(db_session(), event_id, access.current().scope(), minutes=minutes, radius_m=radius_m)
    return {"items": items}


@bp.post("/events/<int:event_id>/merge")
@bp.input(MergeIn, location="json", arg_name="body", validation=False)
@bp.output(MergeOut)
@bp.doc(
    summary="Merge this report into the main event (the center of both): it is kept, voided, and its "
    "reporter follows the main event; a retry answers the same with X-Replayed: true",
    responses=error_responses(
        "not_your_step",
        "forbidden",
        "csrf_failed",
        "event_not_found",
        "transition_not_allowed",
        "already_merged",
        "invalid_body",
        "unknown_field",
        "invalid_into",
        "invalid_note",
        "merge_into_itself",
    ),
)
def merge(event_id: int, body):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed('send a JSON object: {"into": <event id>, "note": "..."}', code="invalid_body")
    unknown = sorted(set(body) - {"into", "note"})
    if unknown:
        raise ValidationFailed(
            f"unknown field {unknown[0]!r}: send into and note", code="unknown_field", field=unknown[0]
        )
    principal = access.current()
    session = db_session()
    merged = merge_events(
        session,
        audit_key(),
        principal.account,
        principal.actor,
        event_id,
        body.get("into"),
        body.get("note", ""),
        scope=principal.scope(),
    )
    session.commit()
    response = jsonify(merged.as_dict())
    if merged.replayed:
        response.headers["X-Replayed"] = "true"
    return response
