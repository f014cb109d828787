"""Grid editing for planners (issue 5): read a community's layout with its ETag; change, create and retire
grids, split and merge them, with If-Match; preview the impact; ask for a proposed fix; list a grid's
history and restore earlier versions."""
from __future__ import annotations

from datetime import date

from apiflask import APIBlueprint
from flask import jsonify, request

from gisapp.domain.areas import county_code
from gisapp.api import access, audit_key, db_session, require_json_body, settings
from gisapp.api.schemas import error_response
from gisapp.errors import ValidationFailed
from gisapp.services.jurisdiction.grid_edit import edit, history, layout, merge, propose_fix, restore, split

bp = APIBlueprint("grids", __name__, url_prefix="/api/v1", tag="layers")
bp.before_request(require_json_body)
EDIT_ERRORS = {404: error_response("unknown_community, unknown_grid, unknown_version"),
               409: error_response("grid_code_taken, grid_code_retired (codes are never reused), "
                                   "grid_codes_exhausted"),
               412: error_response("stale_version"),
               422: error_response("topology_failed (details: every problem with its geometry), unknown_grid, "
                                   "malformed_geometry, invalid_body, bad_grid_code, missing_name, "
                                   "invalid_split_line, grids_not_adjacent, different_communities")}


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

    if not code.startswith(county_code(access.current().account.bound_to)):
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


def _lists(body: dict) -> tuple[list, list, list]:
    lists = [body.get(k, []) for k in ("changes", "creates", "retires")]
    if not all(isinstance(v, list) for v in lists) or not any(lists):
        raise ValidationFailed("changes, creates, retires: lists, at least one not empty", code="invalid_body",
                               field="changes")
    return lists[0], lists[1], lists[2]


def _policy() -> dict:
    """The layout rules of this instance (the sliver area)."""
    return {"min_area_m2": settings().grid_min_area_m2}


def _answer(result: dict):
    session = db_session()
    session.commit()
    response = jsonify(result)
    response.headers["ETag"] = result["etag"]
    return response


@bp.put("/communities/<code>/grids")
@bp.doc(summary="Change a community's grids (If-Match: the layout's ETag): "
                '{"changes": [{"code", "geometry"}], "creates": [{"code", "name", "geometry"}], "retires": [code], '
                '"reason", "effective_date"?, "preview"?}', responses=EDIT_ERRORS)
def edit_grids(code: str):
    body = _body("reason")
    changes, creates, retires = _lists(body)
    return _answer(edit(db_session(), audit_key(), access.current().actor, code, changes, creates=creates,
                        retires=retires, if_match=request.headers.get("If-Match"), reason=body["reason"].strip(),
                        effective=_effective(body), preview=bool(body.get("preview")), **_policy()))


@bp.post("/communities/<code>/grids/fix")
@bp.doc(summary="A proposed repair of an edit (nothing is applied): the problems, what each repair does, what "
                'is left, and the repaired edit to send back: {"changes", "creates", "retires"}', responses=EDIT_ERRORS)
def fix_grids(code: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("send a JSON object with changes, creates or retires", code="invalid_body")
    changes, creates, retires = _lists(body)
    return jsonify(propose_fix(db_session(), code, changes, creates=creates, retires=retires, **_policy()))


@bp.post("/grids/<code>/split")
@bp.doc(summary='Split a grid along a line (If-Match): {"line": LineString, "new_code"?, "new_name"?, "reason", '
                '"preview"?}; the larger part keeps the grid', responses=EDIT_ERRORS)
def split_grid(code: str):
    body = _body("line", "reason")
    return _answer(split(db_session(), audit_key(), access.current().actor, code, body["line"],
                         if_match=request.headers.get("If-Match"), reason=body["reason"].strip(),
                         new_code=body.get("new_code"), new_name=body.get("new_name"),
                         preview=bool(body.get("preview")), **_policy()))


@bp.post("/grids/<code>/merge")
@bp.doc(summary='Merge a neighbour sharing an edge into this grid (If-Match): {"with": code, "reason", '
                '"preview"?}; the neighbour retires', responses=EDIT_ERRORS)
def merge_grids(code: str):
    body = _body("with", "reason")
    _in_my_county(str(body["with"]))
    return _answer(merge(db_session(), audit_key(), access.current().actor, code, body["with"],
                         if_match=request.headers.get("If-Match"), reason=body["reason"].strip(),
                         preview=bool(body.get("preview")), **_policy()))


@bp.get("/grids/<code>/history")
@bp.doc(summary="Every version of a grid, newest first, with author, time, reason and effective date",
        responses={404: error_response("unknown_grid")})
def grid_history(code: str):
    return {"items": history(db_session(), code)}


@bp.post("/grids/<code>/restore")
@bp.doc(summary='Restore an earlier version, a retired grid included (If-Match: the community layout\'s ETag): '
                '{"version", "reason", "also"?: [{"code", "version"}], "retires"?: [code], "preview"?}',
        responses=EDIT_ERRORS)
def restore_grid(code: str):
    body = _body("version", "reason")
    also, retires = body.get("also", []), body.get("retires", [])
    numbers = [body["version"], *(a.get("version") if isinstance(a, dict) else None for a in also)]
    if not isinstance(also, list) or not isinstance(retires, list) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise ValidationFailed("version: an integer; also: a list of {code, version}; retires: a list of codes",
                               code="invalid_version", field="version")
    return _answer(restore(db_session(), audit_key(), access.current().actor, code, body["version"],
                           if_match=request.headers.get("If-Match"), reason=body["reason"].strip(),
                           preview=bool(body.get("preview")), retires=retires,
                           also={str(a.get("code")): a["version"] for a in also}, **_policy()))
