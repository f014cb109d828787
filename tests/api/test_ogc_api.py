"""OGC API - Features (Part 1 Core, GeoJSON, queryables) over real HTTP: every resource and parameter, paging to
the end, filters against PostGIS counts, scoping, and the two common clients (OWSLib, GDAL/OGR's OAPIF driver)."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess

import pytest
import requests

from gisapp.services.layers.features import layer_names
from tests.support import query

GEOJSON = "application/geo+json"
COUNTY_AREA = "ST_Relate(t.geom, (SELECT geom FROM counties WHERE code = '320102'), 'T********')"


def get(live, path: str, who: str = "demo-county", **params) -> requests.Response:
    return live.client(who).get(f"{live.url}/ogc{path}", params=params, timeout=60)


def count(live, table: str, where: str = "TRUE", *args) -> int:
    """How many features of a table lie in the demo county (as the county commander sees them) and match."""
    return query(live, f"SELECT count(*) FROM {table} t WHERE {COUNTY_AREA} AND {where}", *args)[0][0]


def test_the_landing_page_links_the_openapi_document_conformance_and_collections(live):
    r = get(live, "")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    links = {link["rel"]: link for link in r.json()["links"]}
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["service-desc"]["href"] == f"{live.url}/ogc/api"
    assert {"self", "conformance", "data"} <= set(links)
    assert get(live, "/").status_code == 200 and get(live, "", f="json").status_code == 200


def test_conformance_declares_core_geojson_openapi_and_part4(live):
    conforms = set(get(live, "/conformance").json()["conformsTo"])
    part1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
    part4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"
    assert {part1 + c for c in ("core", "geojson", "oas30")} <= conforms
    assert {part4 + c for c in ("create-replace-delete", "update", "features")} <= conforms


def test_the_openapi_document_describes_every_collection_and_the_limit(live):
    r = get(live, "/api")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    assert doc["openapi"].startswith("3.0") and doc["servers"] == [{"url": f"{live.url}/ogc"}]
    for name in layer_names():
        assert (
            f"/collections/{name}/items" in doc["paths"] and f"/collections/{name}/items/{{featureId}}" in doc["paths"]
        )
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (10, 10000)
    grid_params = {p.get("name") for p in doc["paths"]["/collections/grids/items"]["get"]["parameters"]}
    assert {"township_code", "community_code"} <= grid_params
    assert (
        "post" in doc["paths"]["/collections/cameras/items"]
        and "post" not in doc["paths"]["/collections/townships/items"]
    )


def test_collections_carry_their_extent_and_a_time_where_the_layer_has_one(live):
    found = {c["id"]: c for c in get(live, "/collections").json()["collections"]}
    assert set(found) == set(layer_names())
    ((bbox,),) = query(
        live,
        f"SELECT ARRAY[ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)] FROM "
        f"(SELECT ST_Extent(t.geom) e FROM grids t WHERE {COUNTY_AREA}) x",
    )
    grids = found["grids"]
    assert grids["extent"]["spatial"]["crs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert grids["extent"]["spatial"]["bbox"][0] == pytest.approx([float(v) for v in bbox], abs=1e-7)
    assert grids["title"] == "网格" and grids["itemType"] == "feature"
    ((first, last),) = query(live, "SELECT min(updated_at), max(updated_at) FROM cameras")
    interval = found["cameras"]["extent"]["temporal"]["interval"][0]
    assert interval == [first.isoformat().replace("+00:00", "Z"), last.isoformat().replace("+00:00", "Z")]
    assert "temporal" not in found["townships"]["extent"] and "temporal" not in found["coverage-gaps"]["extent"]
    one = get(live, "/collections/key-roads").json()
    assert one["id"] == "key-roads" and {"self", "items"} <= {link["rel"] for link in one["links"]}


def test_queryables_name_the_filter_properties(live):
    r = get(live, "/collections/grids/queryables")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/schema+json")
    props = r.json()["properties"]
    assert props["township_code"]["type"] == "string" and props["code"]["title"] == "网格编码"


def test_the_schema_gives_a_form_every_declared_property_with_its_rules(live):
    r = get(live, "/collections/cameras/schema")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/schema+json")
    body = r.json()
    assert body["x-id-property"] == "device_id" and body["x-editable"] is True
    assert body["required"] == ["device_id", "name", "azimuth_deg", "fov_deg", "range_m"]
    assert body["properties"]["range_m"] == {
        "title": "监控距离（米）",
        "type": "number",
        "maximum": 5000,
        "exclusiveMinimum": 0,
    }
    assert body["properties"]["online"]["default"] is True
    assert get(live, "/collections/grids/schema").json()["properties"]["team"]["readOnly"] is True
    assert get(live, "/collections/townships/schema").json()["required"] == []
    assert get(live, "/collections/nowhere/schema").status_code == 404


def test_items_default_to_ten_with_counts_timestamp_and_geojson(live):
    r = get(live, "/collections/grids/items")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(GEOJSON)
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == len(body["features"]) == 10
    assert body["numberMatched"] == count(live, "grids")
    assert body["timeStamp"].endswith("Z")
    first = body["features"][0]
    assert first["id"] == first["properties"]["code"] and first["geometry"]["type"] == "MultiPolygon"
    assert [f["id"] for f in body["features"]] == sorted(f["id"] for f in body["features"])


def test_paging_through_next_links_reaches_every_feature_once(live):
    url, seen, pages = f"{live.url}/ogc/collections/grids/items?limit=70", [], 0
    while url:
        body = live.client("demo-county").get(url, timeout=60).json()
        seen += [f["id"] for f in body["features"]]
        links = {link["rel"]: link["href"] for link in body["links"]}
        assert (pages > 0) == ("prev" in links)
        url, pages = links.get("next"), pages + 1
    assert len(seen) == len(set(seen)) == body["numberMatched"] == count(live, "grids")
    assert pages == -(-len(seen) // 70)
    assert set(seen) == {c for (c,) in query(live, "SELECT code FROM grids")}


def test_offset_pages_and_a_page_past_the_end_is_empty(live):
    whole = [f["id"] for f in get(live, "/collections/key-locations/items", limit=100).json()["features"]]
    page = get(live, "/collections/key-locations/items", limit=5, offset=5).json()
    assert [f["id"] for f in page["features"]] == whole[5:10]
    past = get(live, "/collections/key-locations/items", offset=len(whole)).json()
    assert (past["numberReturned"], past["numberMatched"]) == (0, len(whole))
    assert "next" not in {link["rel"] for link in past["links"]}


def test_bbox_keeps_the_features_that_intersect_it(live):
    ((minx, miny, maxx, maxy),) = query(
        live,
        "SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM "
        "(SELECT geom g FROM townships ORDER BY code LIMIT 1) x",
    )
    box = f"{minx},{miny},{(minx + maxx) / 2},{(miny + maxy) / 2}"
    envelope = "ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
    for layer, table in (("grids", "grids"), ("cameras", "cameras"), ("key-roads", "key_roads")):
        body = get(live, f"/collections/{layer}/items", bbox=box, limit=10000).json()
        expected = count(
            live, table, f"ST_Intersects(t.geom, {envelope})", minx, miny, (minx + maxx) / 2, (miny + maxy) / 2
        )
        assert body["numberMatched"] == len(body["features"]) == expected > 0, layer


# why each case: a string property through a join (grids' township), an enumerated string, an integer, a boolean
@pytest.mark.parametrize(
    "layer, table, prop, where",
    [
        ("grids", "grids", "township_code", "left(t.code, 9) = %s"),
        ("key-roads", "key_roads", "road_class", "t.road_class = %s"),
        ("key-locations", "key_locations", "risk_level", "t.risk_level = %s"),
        ("cameras", "cameras", "online", "t.online = %s"),
    ],
)
def test_property_filters_match_postgis(live, layer, table, prop, where):
    ((value,),) = query(live, f"SELECT min({'left(code, 9)' if prop == 'township_code' else prop}::text) FROM {table}")
    body = get(live, f"/collections/{layer}/items", limit=10000, **{prop: value}).json()
    typed = int(value) if prop == "risk_level" else value == "true" if prop == "online" else value
    assert body["numberMatched"] == len(body["features"]) == count(live, table, where, typed) > 0
    assert all(f["properties"][prop] == typed for f in body["features"])


def test_datetime_instants_and_open_and_closed_intervals(live):
    cams = [c for (c,) in query(live, "SELECT device_id FROM cameras ORDER BY device_id LIMIT 3")]
    for cam, when in zip(cams, ("2020-03-01T00:00:00Z", "2020-06-01T12:00:00Z", "2021-01-01T00:00:00Z")):
        query(live, "UPDATE cameras SET updated_at = %s WHERE device_id = %s", when, cam)
    total = count(live, "cameras")

    def ids(value):
        body = get(live, "/collections/cameras/items", datetime=value, limit=10000).json()
        assert body["numberMatched"] == len(body["features"])
        return [f["id"] for f in body["features"]]

    assert ids("2020-06-01T12:00:00Z") == [cams[1]]
    assert ids("2020-06-01T20:00:00+08:00") == [cams[1]]  # the same instant in Beijing time
    assert ids("2020-06-01") == [cams[1]]  # a date: that whole day
    assert ids("2020-01-01T00:00:00Z/2020-12-31T23:59:59Z") == cams[:2]
    assert ids("../2020-12-31") == ids("/2020-12-31") == cams[:2]
    assert len(ids("2020-04-01/..")) == total - 1
    assert ids("2019-01-01/2019-12-31") == []


# why each case: the limits of limit and offset, malformed and inverted bbox and datetime, parameters the
# resource does not take (unknown, a queryable of another layer, a format not offered, time on a timeless layer),
# and values of the wrong type for a queryable
@pytest.mark.parametrize(
    "layer, params",
    [
        ("grids", {"limit": "0"}),
        ("grids", {"limit": "10001"}),
        ("grids", {"limit": "ten"}),
        ("grids", {"offset": "-1"}),
        ("grids", {"bbox": "118.7,32.0,118.8"}),
        ("grids", {"bbox": "118.9,32.0,118.8,32.1"}),
        ("grids", {"bbox": "a,b,c,d"}),
        ("grids", {"datetime": "yesterday"}),
        ("grids", {"datetime": "2026-02-01/2026-01-01"}),
        ("grids", {"colour": "red"}),
        ("grids", {"road_class": "trunk"}),
        ("grids", {"f": "html"}),
        ("townships", {"datetime": "2026-01-01"}),
        ("key-locations", {"risk_level": "high"}),
        ("cameras", {"online": "maybe"}),
    ],
)
def test_bad_parameters_are_400_with_an_ogc_exception(live, layer, params):
    r = get(live, f"/collections/{layer}/items", **params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "invalid_parameter" and body["description"] and body["error"]["field"] == next(iter(params))


def test_one_feature_with_its_etag_and_404_for_unknown_ids(live):
    ((code,),) = query(live, "SELECT code FROM key_roads ORDER BY code LIMIT 1")
    r = get(live, f"/collections/key-roads/items/{code}")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(GEOJSON)
    assert r.json()["id"] == code and r.headers["ETag"] == f'"{code}-1"'
    assert {"self", "collection"} <= {link["rel"] for link in r.json()["links"]}
    missing = get(live, "/collections/key-roads/items/R999")
    assert missing.status_code == 404 and missing.json()["code"] == "unknown_feature" and missing.json()["description"]
    assert get(live, "/collections/rivers").json()["code"] == "unknown_collection"
    assert get(live, "/collections/rivers/items").status_code == 404
    assert get(live, "/no-such-resource").json()["code"] == "not_found"


def test_a_grid_officer_sees_its_grid_and_its_neighbours_only(live):
    ((own,),) = query(live, "SELECT grid_code FROM users WHERE username = 'demo-grid'")
    expected = {
        c
        for (c,) in query(
            live, "SELECT n.code FROM grids o JOIN grids n ON ST_Intersects(n.geom, o.geom) WHERE o.code = %s", own
        )
    }
    body = get(live, "/collections/grids/items", who="demo-grid", limit=10000).json()
    assert {f["id"] for f in body["features"]} == expected and body["numberMatched"] == len(expected)
    assert own in expected and 1 < len(expected) < count(live, "grids")
    ((far,),) = query(live, "SELECT code FROM grids WHERE NOT code = ANY(%s) ORDER BY code LIMIT 1", list(expected))
    assert get(live, f"/collections/grids/items/{far}", who="demo-grid").status_code == 404
    assert get(live, f"/collections/grids/items/{own}", who="demo-grid").status_code == 200


def test_anonymous_callers_are_401_and_roles_without_the_layers_403(live):
    r = requests.get(f"{live.url}/ogc/collections", timeout=10)
    assert r.status_code == 401 and r.json()["code"] == "authentication_required"
    assert get(live, "/collections", who="demo-auditor").status_code == 403


def test_an_integration_key_reads_no_layers(live):
    """Integrations report events for citizens; camera positions and team areas are not theirs to read."""
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.access.audit import Actor
    from gisapp.services.access.integrations import create_integration
    from tests.support import TEST_AUDIT_KEY

    engine = make_engine(live.database_url, pool_size=1)
    try:
        with transaction(make_session_factory(engine)) as session:
            _, key = create_integration(
                session,
                TEST_AUDIT_KEY,
                Actor("tests", "security_admin", None),
                code="ogc-reader",
                name="市级平台",
                county_code="320102",
                channels=["public"],
            )
    finally:
        engine.dispose()
    r = requests.get(f"{live.url}/ogc/collections/cameras/items", headers={"X-API-Key": key}, timeout=30)
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_owslib_reads_collections_and_items(live):
    from owslib.ogcapi.features import Features

    headers = {"Authorization": live.client("demo-county").headers["Authorization"]}
    api = Features(f"{live.url}/ogc", headers=headers)
    assert {c["id"] for c in api.collections()["collections"]} == set(layer_names())
    assert api.collection("cameras")["id"] == "cameras"
    page = api.collection_items("key-roads", limit=5)
    assert page["numberReturned"] == 5 and page["numberMatched"] == count(live, "key_roads")
    roads = api.collection_items("key-roads", road_class="trunk", limit=100)
    assert {f["properties"]["road_class"] for f in roads["features"]} == {"trunk"}
    ((code,),) = query(live, "SELECT code FROM key_locations ORDER BY code LIMIT 1")
    assert api.collection_item("key-locations", code)["id"] == code
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]


def ogr(live, *args: str) -> str:
    """Run a GDAL command against the live OGC API with the county commander's bearer token."""
    header = live.client("demo-county").headers["Authorization"]
    done = subprocess.run(
        [args[0], "--config", "GDAL_HTTP_HEADERS", f"Authorization: {header}", *args[1:]],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def needs_gdal(test):
    """GDAL's tools are part of the set-up (make system installs gdal-bin): missing, the test fails, never skips."""

    def checked(*args, **kwargs):
        assert shutil.which("ogrinfo"), (
            "ogrinfo is missing: run make (it installs gdal-bin) or apt-get install gdal-bin"
        )
        return test(*args, **kwargs)

    return functools.wraps(test)(checked)


@needs_gdal
def test_ogrinfo_lists_every_layer_and_counts_the_features(live):
    listing = ogr(live, "ogrinfo", "-ro", "-q", f"OAPIF:{live.url}/ogc")
    assert [line.split(": ", 1)[1].split(" ")[0] for line in listing.splitlines() if ": " in line] == layer_names()
    for layer, table in (("grids", "grids"), ("cameras", "cameras"), ("key-locations", "key_locations")):
        summary = ogr(live, "ogrinfo", "-ro", "-so", f"OAPIF:{live.url}/ogc", layer)
        assert f"Feature Count: {count(live, table)}" in summary, summary


# why each case: GDAL's default page of 10 follows many next links; a page of 1000 (docs/ogc.md) takes one
@needs_gdal
@pytest.mark.parametrize(
    "layer, table, key, options",
    [
        ("cameras", "cameras", "device_id", []),
        ("grids", "grids", "code", ["-oo", "PAGE_SIZE=1000"]),
    ],
)
def test_ogr2ogr_reads_every_feature_through_the_pages(live, tmp_path, layer, table, key, options):
    out = tmp_path / f"{layer}.geojson"
    ogr(live, "ogr2ogr", "-f", "GeoJSON", str(out), *options, f"OAPIF:{live.url}/ogc", layer)
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert sorted(f["properties"][key] for f in features) == [
        c for (c,) in query(live, f"SELECT {key} FROM {table} ORDER BY {key}")
    ]
