"""Grid editing for planners (issue 5): read a community's layout with its ETag; change, create and retire
grids, split and merge them, with If-Match; preview the impact; ask for a proposed fix; list a grid's
history and restore earlier versions."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import jsonify, request

from gisapp.api import access, audit_key, db_session, require_json_body, settings
from gisapp.api.schemas import GridEditIn, GridFixIn, GridMergeIn, GridRestoreIn, GridSplitIn, error_responses
from gisapp.domain.areas import county_code
from gisapp.domain.grid_edit import EDIT, FIX, MERGE, RESTORE, SPLIT, parse_grid_body, parse_layout_edit
from gisapp.services.jurisdiction.grid_edit import edit, history, layout, merge, propose_fix, restore, split

bp = APIBlueprint("grids", __name__, url_prefix="/api/v1", tag="layers")
bp.before_request(require_json_body)
# what the bodies' declarations refuse, and what the service answers
EDIT_ERRORS = error_responses(
    *dict.fromkeys(
        [
            *EDIT.codes(),
            *FIX.codes(),
            *SPLIT.codes(),
            *MERGE.codes(),
            *RESTORE.codes(),
            "unknown_community",
            "unknown_grid",
            "unknown_version",
            "grid_code_taken",
            "grid_code_retired",
            "grid_codes_exhausted",
            "stale_version",
            "topology_failed",
            "invalid_split_line",
            "grids_not_adjacent",
            "different_communities",
            "missing_name",
            "invalid_property",  # a new grid's name, as layers/grids.toml declares it
        ]
    )
)


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
@bp.input(GridEditIn, location="json", arg_name="body", validation=False)
@bp.doc(summary="Change a community's grids (If-Match: the layout's ETag)", responses=EDIT_ERRORS)
def edit_grids(code: str, body):
    got = parse_layout_edit(body)
    return _answer(
        edit(
            db_session(),
            audit_key(),
            access.current().actor,
            code,
            got["changes"],
            creates=got["creates"],
            retires=got["retires"],
            if_match=request.headers.get("If-Match"),
            reason=got["reason"],
            effective=got["effective_date"],
            preview=got["preview"],
            **_policy(),
        )
    )


@bp.post("/communities/<code>/grids/fix")
@bp.input(GridFixIn, location="json", arg_name="body", validation=False)
@bp.doc(
    summary="A proposed repair of an edit (nothing is applied): the problems, what each repair does, what "
    'is left, and the repaired edit to send back: {"changes", "creates", "retires"}',
    responses=EDIT_ERRORS,
)
def fix_grids(code: str, body):
    got = parse_layout_edit(body, FIX)
    return jsonify(
        propose_fix(db_session(), code, got["changes"], creates=got["creates"], retires=got["retires"], **_policy())
    )


@bp.post("/grids/<code>/split")
@bp.input(GridSplitIn, location="json", arg_name="body", validation=False)
@bp.doc(summary="Split a grid along a line (If-Match); the larger part keeps the grid", responses=EDIT_ERRORS)
def split_grid(code: str, body):
    got = parse_grid_body(SPLIT, body)
    return _answer(
        split(
            db_session(),
            audit_key(),
            access.current().actor,
            code,
            got["line"],
            if_match=request.headers.get("If-Match"),
            reason=got["reason"],
            new_code=got["new_code"],
            new_name=got["new_name"],
            preview=got["preview"],
            **_policy(),
        )
    )


@bp.post("/grids/<code>/merge")
@bp.input(GridMergeIn, location="json", arg_name="body", validation=False)
@bp.doc(
    summary="Merge a neighbour sharing an edge into this grid (If-Match); the neighbour retires", responses=EDIT_ERRORS
)
def merge_grids(code: str, body):
    got = parse_grid_body(MERGE, body)
    _in_my_county(got["with"])
    return _answer(
        merge(
            db_session(),
            audit_key(),
            access.current().actor,
            code,
            got["with"],
            if_match=request.headers.get("If-Match"),
            reason=got["reason"],
            preview=got["preview"],
            **_policy(),
        )
    )


@bp.get("/grids/<code>/history")
@bp.doc(
    summary="Every version of a grid, newest first, with author, time, reason and effective date",
    responses=error_responses("unknown_grid"),
)
def grid_history(code: str):
    return {"items": history(db_session(), code)}


@bp.post("/grids/<code>/restore")
@bp.input(GridRestoreIn, location="json", arg_name="body", validation=False)
@bp.doc(
    summary="Restore an earlier version, a retired grid included (If-Match: the community layout's ETag)",
    responses=EDIT_ERRORS,
)
def restore_grid(code: str, body):
    got = parse_grid_body(RESTORE, body)
    return _answer(
        restore(
            db_session(),
            audit_key(),
            access.current().actor,
            code,
            got["version"],
            if_match=request.headers.get("If-Match"),
            reason=got["reason"],
            preview=got["preview"],
            retires=list(got["retires"]),
            also=got["also"],
            **_policy(),
        )
    )
