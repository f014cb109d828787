"""Health, the category catalogue and "where am I"."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, jsonify, request

from gisapp.api import access, db_session
from gisapp.api.params import float_param
from gisapp.api.schemas import CategoryList, HealthOut, LocateOut, LocateQuery, error_responses
from gisapp.domain.intake import parse_point
from gisapp.errors import OutsideJurisdiction, ValidationFailed
from gisapp.services import health
from gisapp.services.events.catalogue import list_categories
from gisapp.services.jurisdiction.geocode import locate
from gisapp.services.layers.features import area_filter, grid_in_area
from gisapp.spatial.crs import UnknownCrs, parse_crs, to_wgs84

bp = APIBlueprint("meta", __name__, tag="meta")


@bp.get("/healthz")
@bp.output(HealthOut)
@bp.doc(summary="Database and PostGIS health", responses={503: "a part is failing; it is named"})
def healthz():
    ok, body = health.check(current_app.extensions["gisapp.engine"])
    response = jsonify(body)
    response.status_code = 200 if ok else 503
    return response


@bp.get("/api/v1/categories")
@bp.output(CategoryList)
@bp.doc(summary="The event-category catalogue (standard clause 5)")
def categories():
    return {"items": list_categories(db_session())}


@bp.get("/api/v1/locate")
@bp.input(LocateQuery, location="query", validation=False)
@bp.output(LocateOut)
@bp.doc(
    summary="Which grid, community, township and county contain a point",
    responses=error_responses(
        "outside_jurisdiction", "unknown_crs", "missing_coordinates", "invalid_coordinates", "coordinates_out_of_range"
    ),
)
def locate_point(query_data):
    try:
        crs = parse_crs(request.args.get("crs"))
    except UnknownCrs as exc:
        raise ValidationFailed(str(exc), code="unknown_crs", field="crs") from None
    point = parse_point({"type": "Point", "coordinates": [float_param("lon"), float_param("lat")]})
    lon, lat = to_wgs84(point.lon, point.lat, crs)
    try:
        where = locate(db_session(), lon, lat)
    except OutsideJurisdiction as exc:
        raise OutsideJurisdiction(exc.message, status=404) from None
    account = access.current().account
    if not grid_in_area(db_session(), where.grid.code, area_filter(account.binding, account.bound_to, "g.geom")):
        raise OutsideJurisdiction("the point is outside your area", status=404)
    return {
        "grid": where.grid.to_dict(),
        "community": where.community.to_dict(),
        "township": where.township.to_dict(),
        "county": where.county.to_dict(),
        "team": where.team.to_dict() if where.team else None,
        "center": where.township_center.to_dict() if where.township_center else None,
        "location": {"type": "Point", "coordinates": [lon, lat]},
    }
