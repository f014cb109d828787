"""Grid editing for planners (issue 5): read a community's layout with its ETag, change grids with If-Match,
preview the impact, list a grid's history and restore an earlier version."""
from __future__ import annotations

from datetime import date

from apiflask import APIBlueprint
from flask import jsonify, request

from gisapp.api import access, audit_key, db_session, require_json_body
from gisapp.api.schemas import error_response
from gisapp.errors import ValidationFailed
from gisapp.services.grid_edit import edit, history, layout, restore

bp = APIBlueprint("grids", __name__, url_prefix="/api/v1", tag="layers")
bp.before_request(require_json_body)
EDIT_ERRORS = {404: error_response("unknown_community, unknown_grid, unknown_version"),
               412: error_response("stale_version"),
               422: error_response("topology_failed (details: every problem with its geometry), unknown_grid, "
                                   "malformed_geometry, invalid_body")}


def _body(*required: str) -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(k in body for k in required):
        raise ValidationFailed(f"send a JSON object with {', '.join(required)}", code="invalid_body")
    if not isinstance(body.get("reason", ""), str) or not body.get("reason", "").strip():
        raise ValidationFailed("say why (reason): it is kept with the version", code="missing_reason", field="reason")
    return body


def _effective(body: dict) -> date | None:
    raw = body.get("effective_date")
    try:
        return date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        raise ValidationFailed("effective_date: YYYY-MM-DD", code="invalid_effective_date",
                               field="effective_date") from None


def _in_my_county(code: str) -> None:
    """Outside the caller's county a community or grid does not exist for it."""
    from gisapp.errors import NotFound

    if not code.startswith(access.current().account.bound_to[:6]):
        raise NotFound(f"no area {code} in your county", code="unknown_community")


@bp.before_request
def county_only():
    code = (request.view_args or {}).get("code")
    if code is not None:
        _in_my_county(code)


@bp.get("/communities/<code>/grids")
@bp.doc(summary="A community's grids (FeatureCollection) with the layout's ETag", responses=EDIT_ERRORS)
def community_grids(code: str):
    body, tag = layout(db_session(), code)
    response = jsonify(body)
    response.headers["ETag"] = tag
    return response


@bp.put("/communities/<code>/grids")
@bp.doc(summary="Change some of a community's grids (If-Match: the layout's ETag): "
                '{"changes": [{"code", "geometry"}], "reason", "effective_date"?, "preview"?}',
        responses=EDIT_ERRORS)
def edit_grids(code: str):
    body = _body("changes", "reason")
    if not isinstance(body["changes"], list) or not body["changes"]:
        raise ValidationFailed("changes: a non-empty list of {code, geometry}", code="invalid_body", field="changes")
    session = db_session()
    result = edit(session, audit_key(), access.current().actor, code, body["changes"],
                  if_match=request.headers.get("If-Match"), reason=body["reason"].strip(),
                  effective=_effective(body), preview=bool(body.get("preview")))
    session.commit()
    response = jsonify(result)
    response.headers["ETag"] = result["etag"]
    return response


@bp.get("/grids/<code>/history")
@bp.doc(summary="Every version of a grid, newest first, with author, time, reason and effective date",
        responses={404: error_response("unknown_grid")})
def grid_history(code: str):
    return {"items": history(db_session(), code)}


@bp.post("/grids/<code>/restore")
@bp.doc(summary='Restore an earlier version (If-Match: the community layout\'s ETag): {"version", "reason"}',
        responses=EDIT_ERRORS)
def restore_grid(code: str):
    body = _body("version", "reason")
    if not isinstance(body["version"], int) or isinstance(body["version"], bool):
        raise ValidationFailed("version: an integer", code="invalid_version", field="version")
    session = db_session()
    result = restore(session, audit_key(), access.current().actor, code, body["version"],
                     if_match=request.headers.get("If-Match"), reason=body["reason"].strip(),
                     preview=bool(body.get("preview")))
    session.commit()
    response = jsonify(result)
    response.headers["ETag"] = result["etag"]
    return response
