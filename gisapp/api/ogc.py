"""OGC API - Features over every map layer (Part 1 Core + GeoJSON, Part 3 queryables, Part 4 editing for planners).

The same layers, SQL and area scoping as /api/v1/layers (gisapp.services.layers.features); a caller authenticates
with a bearer token (or a browser session) like on the rest of the API. See docs/ogc.md.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import unquote, urlencode

from apiflask import APIBlueprint
from flask import current_app, request

from gisapp.api import access, audit_key, db_session, settings
from gisapp.api import ogc_params as params
from gisapp.api.ogc_openapi import openapi_document
from gisapp.domain.layers import Layer, catalogue
from gisapp.errors import MalformedRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from gisapp.services.layers import edit as feature_edit
from gisapp.services.layers.features import Selection, area_filter, feature_one, feature_page, layer_extent, layer_names

bp = APIBlueprint("ogc", __name__, url_prefix="/ogc", enable_openapi=False)

GEOJSON, JSON = "application/geo+json", "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
]
DEFAULT_REASON = "经 OGC API 修改（未说明原因）"
BODY_TYPES = frozenset({GEOJSON, JSON})
PATCH_TYPES = frozenset({"application/merge-patch+json", JSON, GEOJSON})


def _base() -> str:
    return request.url_root.rstrip("/") + "/ogc"


def _respond(body, media: str = JSON, status: int = 200, headers: dict | None = None):
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = current_app.response_class(text, status=status, mimetype=media)
    response.headers.update(headers or {})
    return response


def _link(href: str, rel: str, media: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": media, "title": title}


def _area() -> tuple[str, dict]:
    """The caller's area (only accounts read layers: see permissions.OGC_READERS)."""
    account = access.current().account
    return area_filter(account.binding, account.bound_to)


def _layer(name: str) -> Layer:
    """The declaration of a collection, or 404."""
    found = catalogue().get(name)
    if found is None:
        raise NotFound(f"no collection {name!r}; collections: {', '.join(layer_names())}", code="unknown_collection")
    return found


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@bp.get("/", strict_slashes=False)
def landing():
    params.check_known({"f"})
    base = _base()
    return _respond(
        {
            "title": "gisapp 社会治理联勤 地图图层",
            "description": "The map layers of the joint-duty "
            "platform as OGC API - Features (GeoJSON, CRS84); see /ogc/api.",
            "links": [
                _link(base, "self", JSON, "本页 (this document)"),
                _link(base + "/api", "service-desc", OPENAPI, "OpenAPI 3.0"),
                _link(base + "/conformance", "conformance", JSON, "符合的标准类 (conformance)"),
                _link(base + "/collections", "data", JSON, "图层 (collections)"),
            ],
        }
    )


@bp.get("/conformance")
def conformance():
    params.check_known({"f"})
    return _respond({"conformsTo": CONFORMANCE})


@bp.get("/api")
def api_document():
    params.check_known({"f"})
    return _respond(openapi_document(_base(), layer_names()), OPENAPI)


def _collection(name: str) -> dict:
    decl = _layer(name)
    base = f"{_base()}/collections/{name}"
    bbox, times = layer_extent(db_session(), name, _area())
    extent: dict = {"spatial": {"bbox": [bbox or [-180.0, -90.0, 180.0, 90.0]], "crs": CRS84}}
    if times is not None:
        extent["temporal"] = {
            "interval": [[_iso(t) for t in times]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return {
        "id": name,
        "title": decl.title,
        "description": decl.title_en,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": extent,
        "links": [
            _link(base, "self", JSON, "本图层 (this collection)"),
            _link(base + "/items", "items", GEOJSON, "要素 (features)"),
            _link(
                base + "/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "可筛选属性 (queryables)",
            ),
            _link(
                base + "/schema",
                "http://www.opengis.net/def/rel/ogc/1.0/schema",
                "application/schema+json",
                "要素属性 (schema)",
            ),
        ],
    }


@bp.get("/collections")
def collections():
    params.check_known({"f"})
    return _respond(
        {
            "links": [_link(f"{_base()}/collections", "self", JSON, "图层 (collections)")],
            "collections": [_collection(name) for name in layer_names()],
        }
    )


@bp.get("/collections/<name>")
def collection(name: str):
    params.check_known({"f"})
    return _respond(_collection(name))


@bp.get("/collections/<name>/queryables")
def queryables(name: str):
    params.check_known({"f"})
    decl = _layer(name)
    props = {p.name: {"type": p.type, "title": p.label} for p in decl.queryables}
    return _respond(
        {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{_base()}/collections/{name}/queryables",
            "type": "object",
            "title": decl.title,
            "properties": props,
        },
        "application/schema+json",
    )


@bp.get("/collections/<name>/schema")
def schema(name: str):
    """The features' properties as declared (OGC API - Features Part 5 style): what a form needs to build its fields."""
    params.check_known({"f"})
    body = _layer(name).json_schema()
    return _respond(
        {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{_base()}/collections/{name}/schema",
            **body,
        },
        "application/schema+json",
    )


def _page_links(name: str, offset: int, limit: int, returned: int, matched: int) -> list[dict]:
    base = f"{_base()}/collections/{name}/items"
    args = {k: v for k, v in request.args.items() if k not in ("offset", "limit")}

    def at(start: int) -> str:
        return base + "?" + urlencode({**args, "limit": limit, "offset": start})

    links = [
        _link(at(offset), "self", GEOJSON, "本页 (this page)"),
        _link(f"{_base()}/collections/{name}", "collection", JSON, "图层 (the collection)"),
    ]
    if offset + returned < matched:
        links.append(_link(at(offset + limit), "next", GEOJSON, "下一页 (next page)"))
    if offset > 0:
        links.append(_link(at(max(0, offset - limit)), "prev", GEOJSON, "上一页 (previous page)"))
    return links


@bp.get("/collections/<name>/items")
def items(name: str):
    _layer(name)
    params.check_known(params.item_parameters(name))
    limit = params.integer("limit", params.DEFAULT_LIMIT, minimum=1, maximum=params.MAX_LIMIT)
    offset = params.integer("offset", 0, minimum=0, maximum=2**31 - 1)
    selection = Selection(_area(), params.bbox(), params.property_filters(name), params.datetime_span(name))
    features, returned, matched = feature_page(db_session(), name, selection, limit=limit, offset=offset)
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": _iso(datetime.now(timezone.utc)),
        "links": _page_links(name, offset, limit, returned, matched),
    }
    # the features stay the text PostGIS built: spliced in, not parsed and dumped again
    return _respond(json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ' + features + "}", GEOJSON)


def _feature_response(name: str, feature_id: str, status: int = 200, headers: dict | None = None):
    found = feature_one(db_session(), name, _area(), feature_id)
    if found is None:
        raise NotFound(f"no feature {feature_id!r} in {name} within your area", code="unknown_feature")
    feature, version = found
    base = f"{_base()}/collections/{name}"
    feature["links"] = [
        _link(f"{base}/items/{feature_id}", "self", GEOJSON, "本要素 (this feature)"),
        _link(base, "collection", JSON, "图层 (the collection)"),
    ]
    extra = {"ETag": feature_edit.etag(version)} if version is not None else {}
    return _respond(feature, GEOJSON, status, {**extra, **(headers or {})})


@bp.get("/collections/<name>/items/<feature_id>")
def item(name: str, feature_id: str):
    _layer(name)
    params.check_known({"f"})
    return _feature_response(name, feature_id)


# --- Part 4: create, replace, update, delete (planners; see the permission matrix) ------------------


def _body(media_types: frozenset[str]):
    limit = settings().max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
    if request.mimetype not in media_types:
        raise UnsupportedMediaType(f"send the feature as {' or '.join(sorted(media_types))}")
    body = request.get_json(silent=True, force=True)
    if body is None:
        raise MalformedRequest("the request body is not valid JSON")
    return body


def _reason() -> str:
    """X-Change-Reason: percent-encoded UTF-8 (or raw UTF-8) text; a default when absent."""
    raw = request.headers.get("X-Change-Reason", "")
    try:
        raw = raw.encode("latin-1").decode("utf-8")  # raw UTF-8 bytes arrive as latin-1 text
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return unquote(raw).strip()[:500] or DEFAULT_REASON


def _change_args() -> dict:
    principal = access.current()
    return {
        "session": db_session(),
        "key": audit_key(),
        "actor": principal.actor,
        "area": _area(),
        "grid_min_area_m2": settings().grid_min_area_m2,
    }


def _apply_change(name: str, change, body: tuple[str, frozenset] | None = None, **values):
    """One Part 4 change of a collection (after its 404) with the caller's session, audit key and area, the
    request's body (as the argument body[0], of the media types body[1]), If-Match and reason; committed."""
    _layer(name)
    args = _change_args()
    if body is not None:
        values[body[0]] = _body(body[1])
    result = change(layer=name, if_match=request.headers.get("If-Match"), reason=_reason(), **values, **args)
    args["session"].commit()
    return result


@bp.post("/collections/<name>/items")
def create_item(name: str):
    feature_id = _apply_change(name, feature_edit.create_feature, ("feature", BODY_TYPES))
    return _feature_response(name, feature_id, 201, {"Location": f"{_base()}/collections/{name}/items/{feature_id}"})


@bp.put("/collections/<name>/items/<feature_id>")
def replace_item(name: str, feature_id: str):
    _apply_change(name, feature_edit.replace_feature, ("feature", BODY_TYPES), fid=feature_id)
    return _feature_response(name, feature_id)


@bp.patch("/collections/<name>/items/<feature_id>")
def update_item(name: str, feature_id: str):
    _apply_change(name, feature_edit.update_feature, ("patch", PATCH_TYPES), fid=feature_id)
    return _feature_response(name, feature_id)


@bp.delete("/collections/<name>/items/<feature_id>")
def delete_item(name: str, feature_id: str):
    _apply_change(name, feature_edit.delete_feature, fid=feature_id)
    return current_app.response_class(status=204)
