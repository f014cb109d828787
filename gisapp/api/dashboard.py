"""The commander dashboard's data (指挥调度): event queue, grid load, today's figures, search."""

from __future__ import annotations

import math

from apiflask import APIBlueprint
from flask import request

from gisapp.api import access, db_session
from gisapp.api.params import bbox_param
from gisapp.api.schemas import error_responses
from gisapp.errors import NotFound, ValidationFailed
from gisapp.services.command.dashboard import (
    COORDS,
    EVENT_ID,
    grid_load,
    members_in_view,
    open_events,
    search_places,
    today_figures,
)
from gisapp.services.events.read import get_event
from gisapp.services.layers.features import area_filter
from gisapp.spatial.crs import to_wgs84

bp = APIBlueprint("dashboard", __name__, url_prefix="/api/v1/dashboard", tag="dashboard")
MAX_QUERY = 64


@bp.get("/queue")
@bp.doc(summary="The open events of the caller's area by urgency (overdue, warned, urgent, level 2, deadline)")
def queue():
    return {"items": open_events(db_session(), access.current().scope())}


@bp.get("/grid-load")
@bp.doc(
    summary="Open and overdue events per grid of the caller's area: {grid code: [open, overdue]}",
    responses=error_responses("invalid_bbox"),
)
def grid_loads():
    return {"grids": grid_load(db_session(), access.current().scope(), bbox_param())}


@bp.get("/members")
@bp.doc(
    summary="The members not off duty of the caller's county or township positioned within ?bbox= (required), "
    "with their duty status and position age (at most 3,000)",
    responses=error_responses("invalid_bbox"),
)
def members():
    bbox = bbox_param()
    if bbox is None:
        raise ValidationFailed("bbox is required: minlon,minlat,maxlon,maxlat", code="invalid_bbox", field="bbox")
    return {"items": members_in_view(db_session(), access.current().scope(), bbox)}


@bp.get("/today")
@bp.doc(
    summary="Today's figures (China Standard Time) in the caller's area: reported, closed, open, warned, "
    "overdue, level 2"
)
def today():
    return today_figures(db_session(), access.current().scope())


@bp.get("/search")
@bp.doc(
    summary="Find an event id, a coordinate pair (?crs=, any supported CRS), or an area, grid, key location "
    "or road by code or name, within the caller's area",
    responses=error_responses("invalid_query", "unknown_crs", "coordinates_out_of_range"),
)
def search():
    q = (request.args.get("q") or "").strip()
    if not q or len(q) > MAX_QUERY:
        raise ValidationFailed(f"q: 1 to {MAX_QUERY} characters", code="invalid_query", field="q")
    principal = access.current()
    session = db_session()
    results = []
    if (match := COORDS.match(q)) is not None:
        results.append(_coordinate(float(match.group(1)), float(match.group(2))))
    if (match := EVENT_ID.match(q)) is not None and len(match.group(1)) < 9:  # longer digit runs are codes
        results += _event(session, int(match.group(1)), principal.scope())
    if not results or results[0]["kind"] == "event":
        account = principal.account
        results += search_places(session, area_filter(account.binding, account.bound_to), q.lstrip("#"))
    return {"items": results}


def _coordinate(x: float, y: float) -> dict:
    from gisapp.services.layers.export import target_crs

    crs = target_crs(request.args.get("crs"))  # also a CGCS2000 Gauss-Kruger zone (metres, easting first)
    lon, lat = to_wgs84(x, y, crs)
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed(
            "the coordinates are outside the CRS's range", code="coordinates_out_of_range", field="q"
        )
    return {"kind": "point", "code": None, "name": f"{lon:.6f}, {lat:.6f}", "point": [lon, lat], "crs": str(crs)}


def _event(session, event_id: int, scope) -> list[dict]:
    try:
        event = get_event(session, event_id, scope)
    except NotFound:
        return []
    return [
        {
            "kind": "event",
            "code": str(event["id"]),
            "name": event["category"]["name"],
            "point": event["location"]["coordinates"],
        }
    ]


@bp.get("/events/<int:event_id>/actions")
@bp.doc(
    summary="The life-cycle actions the caller may take on an event now (the buttons of the event panel)",
    responses=error_responses("event_not_found"),
)
def event_actions(event_id: int):
    from gisapp.domain.actions import possible_actions
    from gisapp.services.events.lifecycle import caller_for, load

    principal = access.current()
    session = db_session()
    row, case = load(session, event_id, principal.scope())
    session.rollback()  # load locks the row for a step; a look needs no lock
    return {"items": possible_actions(case, caller_for(session, principal.account, row))}
