"""The OpenAPI 3.0 document of /ogc (the landing page's service-desc): every resource, and per collection its
items with the parameters it takes, so clients (GDAL/QGIS) know the page limit and which properties filter
on the server."""

from __future__ import annotations

from gisapp.api.ogc_params import DEFAULT_LIMIT, MAX_LIMIT
from gisapp.domain.layers import catalogue

GEOJSON = "application/geo+json"
ERROR = {
    "description": "an OGC exception: {code, description}",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/exception"}}},
}
PARAMETERS = {
    "f": {"name": "f", "in": "query", "required": False, "schema": {"type": "string", "enum": ["json", "geojson"]}},
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    "bbox": {
        "name": "bbox",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    },
    "datetime": {
        "name": "datetime",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": "an instant or interval (.. for an open end) of the feature's last write",
        "schema": {"type": "string"},
    },
    "featureId": {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
    "If-Match": {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "the ETag of the feature as read (a grid's: its community layout's)",
    },
    "X-Change-Reason": {
        "name": "X-Change-Reason",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "why (percent-encoded UTF-8 for Chinese); kept with the change",
    },
}
SCHEMAS = {
    "exception": {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    },
    "feature": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object"},
            "properties": {"type": "object"},
        },
    },
    "featureCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/feature"}},
            "numberMatched": {"type": "integer"},
            "numberReturned": {"type": "integer"},
            "timeStamp": {"type": "string", "format": "date-time"},
            "links": {"type": "array", "items": {"type": "object"}},
        },
    },
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _json_get(summary: str, media: str = "application/json") -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": [_ref("f")],
            "responses": {"200": {"description": summary, "content": {media: {}}}, "400": ERROR},
        }
    }


def _items(layer: str) -> dict:
    declared = catalogue()[layer]
    queryables = [
        {"name": p.name, "in": "query", "required": False, "schema": {"type": p.type}} for p in declared.queryables
    ]
    standard = ["f", "limit", "offset", "bbox"] + (["datetime"] if declared.source.time else [])
    ops = {
        "get": {
            "summary": f"the features of {layer} in the caller's area",
            "operationId": f"items-{layer}",
            "parameters": [_ref(p) for p in standard] + queryables,
            "responses": {
                "200": {
                    "description": "a page of features",
                    "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/featureCollection"}}},
                },
                "400": ERROR,
            },
        }
    }
    if declared.editable:
        ops["post"] = {
            "summary": f"add a feature to {layer} (planners)",
            "parameters": [_ref("X-Change-Reason")],
            "requestBody": {
                "required": True,
                "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/feature"}}},
            },
            "responses": {"201": {"description": "created; Location names it"}, "409": ERROR, "422": ERROR},
        }
    return ops


def _item(layer: str) -> dict:
    ops = {
        "get": {
            "summary": f"one feature of {layer}",
            "parameters": [_ref("featureId"), _ref("f")],
            "responses": {
                "200": {
                    "description": "the feature, with its ETag",
                    "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/feature"}}},
                },
                "404": ERROR,
            },
        }
    }
    if catalogue()[layer].editable:
        changed = {
            "200": {"description": "the feature as written, with its new ETag"},
            "404": ERROR,
            "412": ERROR,
            "422": ERROR,
            "428": ERROR,
        }
        params = [_ref("featureId"), _ref("If-Match"), _ref("X-Change-Reason")]
        body = {"required": True, "content": {GEOJSON: {"schema": {"$ref": "#/components/schemas/feature"}}}}
        ops["put"] = {"summary": "replace the feature", "parameters": params, "requestBody": body, "responses": changed}
        ops["patch"] = {
            "summary": "change part of the feature (JSON merge patch)",
            "parameters": params,
            "requestBody": {"required": True, "content": {"application/merge-patch+json": {}}},
            "responses": changed,
        }
        ops["delete"] = {
            "summary": "remove the feature",
            "parameters": params,
            "responses": {"204": {"description": "removed"}, **changed},
        }
    return ops


def openapi_document(base: str, layers: list[str]) -> dict:
    """The OpenAPI 3.0 document of the OGC API under base (an absolute URL ending in /ogc)."""
    paths = {
        "/": _json_get("the landing page"),
        "/conformance": _json_get("the conformance classes"),
        "/api": _json_get("this document", "application/vnd.oai.openapi+json;version=3.0"),
        "/collections": _json_get("the collections (map layers)"),
    }
    for layer in layers:
        paths[f"/collections/{layer}"] = _json_get(f"the collection {layer}")
        paths[f"/collections/{layer}/queryables"] = _json_get(f"the queryables of {layer}", "application/schema+json")
        paths[f"/collections/{layer}/schema"] = _json_get(
            f"the schema of {layer}'s features: each property's type, bounds, pattern, values",
            "application/schema+json",
        )
        paths[f"/collections/{layer}/items"] = _items(layer)
        paths[f"/collections/{layer}/items/{{featureId}}"] = _item(layer)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "gisapp OGC API - Features",
            "version": "1.0.0",
            "description": "The map layers of the joint-duty platform (社会治理联勤) as OGC API - Features: "
            "Part 1 Core with GeoJSON, Part 3 queryables as query parameters, Part 4 "
            "create/replace/update/delete for planners.",
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "parameters": PARAMETERS,
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "integrations"},
            },
        },
        "security": [{"bearer": []}, {"apiKey": []}],
    }
