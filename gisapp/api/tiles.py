"""Vector tiles (Mapbox Vector Tile) of the map layers and their TileJSON, in the caller's area."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, request

from gisapp.api import access, db_session
from gisapp.api.schemas import error_responses
from gisapp.errors import AppError
from gisapp.services.layers.tiles import MEDIA_TYPE, get_tile, tilejson

bp = APIBlueprint("tiles", __name__, url_prefix="/tiles", tag="layers")

# per caller (scoped), and revalidated on every use: a change shows at once, an unchanged tile costs a 304
CACHE_CONTROL = "private, no-cache"
VARY = "Authorization, Cookie"


def _tile_numbers(z: str, x: str, y: str) -> tuple[int, int, int]:
    try:
        return int(z), int(x), int(y)
    except ValueError:
        raise AppError(
            f"tile {z}/{x}/{y}: z, x and y must be whole numbers (e.g. /tiles/grids/13/6800/3320.mvt)",
            code="invalid_tile",
        ) from None


@bp.get("/<name>/<z>/<x>/<y>.mvt")
@bp.doc(
    summary="One vector tile (MVT, extent 4096) of a layer's features in the caller's area; "
    "cached, ETag / If-None-Match",
    responses=error_responses("invalid_tile", "unknown_layer", "tile_out_of_range"),
)
def tile(name: str, z: str, x: str, y: str):
    account = access.current().account
    zoom, col, row = _tile_numbers(z, x, y)
    session = db_session()
    found = get_tile(session, name, zoom, col, row, account.binding, account.bound_to)
    if found.source == "miss":
        session.commit()  # keep the built tile in the cache
    if request.if_none_match.contains(found.etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(found.data, mimetype=MEDIA_TYPE)
    response.set_etag(found.etag)
    response.headers.update({"Cache-Control": CACHE_CONTROL, "Vary": VARY, "X-Tile-Cache": found.source})
    return response


@bp.get("/<name>.json")
@bp.doc(
    summary="The TileJSON 3.0.0 document of a layer's tiles: URL template, zooms, the caller's area, "
    "vector layers and their fields",
    responses=error_responses("unknown_layer"),
)
def tilejson_document(name: str):
    account = access.current().account
    doc = tilejson(db_session(), name, request.host_url, account.binding, account.bound_to)
    response = current_app.json.response(doc)
    response.headers.update({"Cache-Control": CACHE_CONTROL, "Vary": VARY})
    return response
