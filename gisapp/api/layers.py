"""Map layers as GeoJSON (townships, communities, grids, key roads, key locations, cameras)."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app

from gisapp.api import access, db_session
from gisapp.api.params import bbox_param
from gisapp.api.schemas import BboxQuery, FeatureCollection, LayerList, error_responses
from gisapp.services.layers.coverage import coverage
from gisapp.services.layers.features import area_filter, describe_layers, layer_geojson

bp = APIBlueprint("layers", __name__, url_prefix="/api/v1/layers", tag="layers")


@bp.get("")
@bp.output(LayerList)
@bp.doc(summary="The map layers and their declared style")
def index():
    return {"items": describe_layers()}


@bp.get("/<name>")
@bp.input(BboxQuery, location="query", validation=False)
@bp.output(FeatureCollection, content_type="application/geo+json")
@bp.doc(
    summary="One layer as GeoJSON: the features in the caller's area, optionally within a bbox",
    responses=error_responses("unknown_layer", "invalid_bbox"),
)
def features(name: str, query_data):
    account = access.current().account
    body = layer_geojson(db_session(), name, bbox_param(), area_filter(account.binding, account.bound_to))
    return current_app.response_class(body, mimetype="application/geo+json")


@bp.get("/<name>/export")
@bp.doc(
    summary="One layer as a file: ?format=geojson|gpkg|shp (zipped), ?crs=EPSG:4326|EPSG:4490|"
    "EPSG:4534..4554|GCJ-02|BD-09; the features of the caller's area; audited",
    responses=error_responses("unknown_layer", "unknown_format", "unknown_crs"),
)
def export(name: str):
    from flask import request

    from gisapp.api import audit_key
    from gisapp.services.access.audit import record
    from gisapp.services.layers.export import export_layer, target_crs

    principal = access.current()
    account = principal.account
    fmt, crs = request.args.get("format", "geojson"), target_crs(request.args.get("crs"))
    session = db_session()
    data, filename, media = export_layer(
        layer_geojson(session, name, None, area_filter(account.binding, account.bound_to)), name, fmt, crs
    )
    record(
        session,
        audit_key(),
        principal.actor,
        "layer.export",
        target=f"layer:{name}",
        details={"format": fmt, "crs": str(crs), "bytes": len(data)},
    )
    session.commit()
    response = current_app.response_class(data, mimetype=media)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


coverage_bp = APIBlueprint("coverage", __name__, url_prefix="/api/v1", tag="layers")


@coverage_bp.get("/coverage")
@bp.doc(
    summary="Camera coverage (7.1.3.2) of the key roads (covered share, uncovered stretches) and key "
    "locations in the caller's area, per township and in total"
)
def coverage_report():
    account = access.current().account
    return coverage(db_session(), account.binding, account.bound_to)
