"""Map layers as GeoJSON (townships, communities, grids, key roads, key locations, cameras)."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app

from gisapp.api import access, db_session, settings
from gisapp.api.params import bbox_param
from gisapp.api.schemas import error_response, BboxQuery, FeatureCollection, LayerList
from gisapp.services.coverage import coverage
from gisapp.services.layers import area_filter, describe_layers, layer_geojson

bp = APIBlueprint("layers", __name__, url_prefix="/api/v1/layers", tag="layers")


@bp.get("")
@bp.output(LayerList)
@bp.doc(summary="The map layers and their declared style")
def index():
    return {"items": describe_layers(settings().layers_dir)}


@bp.get("/<name>")
@bp.input(BboxQuery, location="query", validation=False)
@bp.output(FeatureCollection, content_type="application/geo+json")
@bp.doc(summary="One layer as GeoJSON: the features in the caller's area, optionally within a bbox",
        responses={404: error_response("unknown_layer"), 422: error_response("invalid_bbox")})
def features(name: str, query_data):
    account = access.current().account
    body = layer_geojson(db_session(), name, bbox_param(), area_filter(account.binding, account.bound_to))
    return current_app.response_class(body, mimetype="application/geo+json")

coverage_bp = APIBlueprint("coverage", __name__, url_prefix="/api/v1", tag="layers")


@coverage_bp.get("/coverage")
@bp.doc(summary="Camera coverage (7.1.3.2) of the key roads (covered share, uncovered stretches) and key "
                "locations in the caller's area, per township and in total")
def coverage_report():
    account = access.current().account
    return coverage(db_session(), account.binding, account.bound_to)
