"""Support from adjacent grids (standard 6.2.3.2): the ranked members a center may send to an event."""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Float, Integer, List, Nested, String

from gisapp.api import access, db_session
from gisapp.api.params import int_param
from gisapp.api.schemas import error_responses
from gisapp.domain.lifecycle import NotYourStep
from gisapp.services.command.support import (
    DEFAULT_LIMIT,
    DEFAULT_MAX_AGE_S,
    may_see_candidates,
)
from gisapp.services.command.support import (
    support_candidates as rank,
)
from gisapp.services.events.read import get_event

bp = APIBlueprint("support", __name__, url_prefix="/api/v1", tag="support")

MAX_AGE_LIMIT_S = 24 * 3600  # larger values are clamped: a day-old position says nothing about now
MAX_LIMIT = 100


class SupportQuery(Schema):
    max_age_s = Integer(
        metadata={
            "description": f"oldest position accepted, seconds (default {DEFAULT_MAX_AGE_S}, at most {MAX_AGE_LIMIT_S})"
        }
    )
    limit = Integer(metadata={"description": f"how many candidates (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})"})


class CandidateMember(Schema):
    code = String()
    name = String()
    role = String()
    team_code = String()
    duty_status = String()


class CandidateGrid(Schema):
    code = String()
    name = String()


class SupportCandidate(Schema):
    member = Nested(CandidateMember)
    grid = Nested(CandidateGrid)
    ring = Integer(metadata={"description": "1: a grid in contact with the event's grid; 2: the next ring"})
    distance_m = Float(metadata={"description": "straight line from the member's position to the event"})
    position_age_s = Integer()


class SupportCandidates(Schema):
    items = List(Nested(SupportCandidate))


@bp.get("/events/<int:event_id>/support-candidates")
@bp.input(SupportQuery, location="query", validation=False)
@bp.output(SupportCandidates)
@bp.doc(
    summary="Members proposed to support an event: on duty, fresh position, adjacent grids first, nearest first",
    responses=error_responses("not_your_step", "event_not_found", "invalid_max_age_s", "invalid_limit"),
)
def support_candidates(event_id: int, query_data):
    max_age_s = int_param("max_age_s", DEFAULT_MAX_AGE_S, minimum=1, maximum=MAX_AGE_LIMIT_S)
    limit = int_param("limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    principal = access.current()
    session = db_session()
    event = get_event(session, event_id, principal.scope())  # 404 outside the caller's area
    if not may_see_candidates(session, principal.account, event):
        raise NotYourStep("support candidates are for the event's command center and its receivers")
    items = rank(session, event_id, max_age_s=max_age_s, limit=limit)
    session.commit()  # keeps a refresh of the adjacency graph, if reading needed one
    return {"items": items}
