"""Health, catalogue, locate, layers and the OpenAPI document over real HTTP."""

import pytest
import requests

from gisapp.spatial.crs import Crs, from_wgs84
from tests.conftest import start_server


def get(live, path, **params):
    return live.client().get(live.url + path, params=params, timeout=30)


def test_healthz_reports_database_and_postgis(live):
    r = requests.get(live.url + "/healthz", timeout=30)  # anonymous: a load-balancer probe
    assert r.status_code == 200
    # no versions for anonymous callers; the system administrator's status call has them
    assert r.json() == {"status": "ok", "database": "ok", "postgis": "ok"}


def test_healthz_names_the_failing_part_when_the_database_is_down():
    # a port on which nothing listens
    srv, server = start_server("postgresql+psycopg2://nobody:x@127.0.0.1:9/nothing")
    try:
        r = requests.get(srv.url + "/healthz", timeout=30)
        assert r.status_code == 503
        assert r.json() == {"status": "error", "database": "unreachable", "postgis": "unknown"}
    finally:
        server.shutdown()
        server.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here


def test_categories_cover_the_five_kinds_of_work(live):
    items = get(live, "/api/v1/categories").json()["items"]
    assert {c["kind"] for c in items} == {"livelihood", "urban", "safety", "environment", "order"}
    assert {c["level"] for c in items} == {1, 2}
    for c in items:
        assert c["code"] and c["name"] and c["department"]["code"] and c["department"]["name"]
        assert c["priority"] in {"urgent", "high", "normal", "low"}
        assert 0 < c["limits"]["response_minutes"] <= c["limits"]["handling_minutes"]
        assert (c["limits"]["handling_unit"] == "minutes") == (c["limits"]["handling_amount"] is None)
    units = {c["code"]: (c["limits"]["handling_unit"], c["limits"]["handling_amount"]) for c in items}
    assert units["livelihood.petition"] == ("work_days", 5) and units["urban.street_light"] == ("work_hours", 12)


@pytest.fixture(scope="module")
def grid_point(live):
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT ST_X(p), ST_Y(p), code FROM (SELECT code, ST_PointOnSurface(geom) p "
            "FROM grids ORDER BY code LIMIT 1 OFFSET 100) g"
        )
        row = cur.fetchone()
    conn.close()
    return row


@pytest.mark.parametrize("crs", [Crs.WGS84, Crs.GCJ02, Crs.BD09])
def test_locate_tells_where_a_point_is(live, grid_point, crs):
    lon, lat = from_wgs84(grid_point[0], grid_point[1], crs)
    r = get(live, "/api/v1/locate", lon=lon, lat=lat, crs=str(crs))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["grid"]["code"] == grid_point[2]
    assert body["community"]["code"] == grid_point[2][:12]
    assert body["township"]["code"] == grid_point[2][:9]
    assert body["county"]["code"] == "320102"
    assert body["team"]["code"] == "T" + grid_point[2]


@pytest.mark.parametrize(
    "params, status, code",
    [
        ({"lon": 116.3974, "lat": 39.9087}, 404, "outside_jurisdiction"),
        ({"lon": 118.8}, 422, "missing_coordinates"),
        ({"lon": "east", "lat": 32}, 422, "invalid_coordinates"),
        ({"lon": 200, "lat": 32}, 422, "coordinates_out_of_range"),
        ({"lon": 118.8, "lat": 32.05, "crs": "EPSG:900913"}, 422, "unknown_crs"),
    ],
)
def test_locate_errors(live, params, status, code):
    r = get(live, "/api/v1/locate", **params)
    assert r.status_code == status and r.json()["error"]["code"] == code


def test_layers_are_geojson_with_their_properties(live):
    index = get(live, "/api/v1/layers").json()["items"]
    assert [layer["name"] for layer in index] == [
        "townships",
        "communities",
        "grids",
        "key-roads",
        "key-locations",
        "coverage-gaps",
        "cameras",
    ]
    # the index is each layer's declaration as loaded (the id property and editability included)
    from gisapp.domain.layers import catalogue

    assert {layer["name"]: (layer["id"], layer["editable"]) for layer in index} == {
        name: (d.id_property, d.editable) for name, d in catalogue().items()
    }
    counts = {}
    for layer in index:
        # every layer carries its declared title and style from layers/<name>.toml
        assert layer["title"] and layer["style"] and layer["geometry_type"]
        r = get(live, layer["url"])
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("application/geo+json")
        fc = r.json()
        assert fc["type"] == "FeatureCollection" and fc["features"]
        counts[layer["name"]] = len(fc["features"])
    assert counts["townships"] == 8 and counts["communities"] == 61
    assert 300 <= counts["grids"] <= 600
    grid = get(live, "/api/v1/layers/grids").json()["features"][0]
    props = grid["properties"]
    assert {"code", "name", "community_code", "township_code", "team"} <= set(props)
    assert props["team"]["code"] == "T" + props["code"] and props["team"]["members"] >= 3
    assert grid["geometry"]["type"] == "MultiPolygon"
    cam = get(live, "/api/v1/layers/cameras").json()["features"][0]["properties"]
    assert {"device_id", "name", "azimuth_deg", "fov_deg", "range_m", "online"} <= set(cam)
    assert len(cam["device_id"]) == 20


def test_layer_bbox_filters_features(live, grid_point):
    d = 0.001
    box = f"{grid_point[0] - d},{grid_point[1] - d},{grid_point[0] + d},{grid_point[1] + d}"
    some = get(live, "/api/v1/layers/grids", bbox=box).json()["features"]
    every = get(live, "/api/v1/layers/grids").json()["features"]
    assert 0 < len(some) < len(every)
    assert grid_point[2] in {f["properties"]["code"] for f in some}
    assert get(live, "/api/v1/layers/grids", bbox="10,10,10.1,10.1").json()["features"] == []


def test_layer_errors(live):
    r = get(live, "/api/v1/layers/rivers")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_layer"
    r = get(live, "/api/v1/layers/grids", bbox="a,b,c,d")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_bbox"


def test_openapi_document_describes_the_api(live):
    spec = get(live, "/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/v1/events",
        "/api/v1/events/{event_id}",
        "/api/v1/locate",
        "/api/v1/categories",
        "/api/v1/layers/{name}",
        "/healthz",
    ):
        assert path in paths, path
    post = paths["/api/v1/events"]["post"]
    assert {"200", "201", "400", "409", "413", "415", "422"} <= set(post["responses"])
    assert "requestBody" in post
    # the permission matrix is part of the document
    assert set(spec["components"]["securitySchemes"]) == {"bearer", "apiKey", "session"}
    assert "integration" in post["x-callers"] and {"apiKey": []} in post["security"]
    audit = paths["/api/v1/audit"]["get"]
    assert audit["x-callers"] == ["auditor"] and {"apiKey": []} not in audit["security"]
    assert "security" not in paths["/healthz"]["get"] and "anonymous" in paths["/healthz"]["get"]["x-callers"]


def test_coverage_report_over_http(live):
    body = get(live, "/api/v1/coverage").json()
    assert set(body) == {"key_roads", "key_locations", "townships", "county"}
    road = body["key_roads"][0]
    assert {"id", "name", "length_m", "covered_m", "covered_ratio", "gaps"} <= set(road)
    assert road["gaps"]["type"] == "MultiLineString" and 0 <= road["covered_ratio"] <= 1
    assert 0 <= body["county"]["covered_ratio"] <= 1 and body["county"]["key_locations"] == len(body["key_locations"])
    assert live.client("demo-grid").get(live.url + "/api/v1/coverage", timeout=10).status_code == 403
