"""OGC API - Features Part 4 over real HTTP: planners create, replace, update (JSON merge patch) and delete cameras,
key roads and key locations with If-Match, read back; grids go through the topology-checked, versioned editing;
bad features are 422, stale versions 412, missing ones 428, other roles 403."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import shapely
from shapely.geometry import mapping, shape

from tests.support import query

GEOJSON = "application/geo+json"


def items_url(live, layer: str) -> str:
    return f"{live.url}/ogc/collections/{layer}/items"


def send(
    live,
    method: str,
    url: str,
    body=None,
    *,
    etag: str | None = None,
    who: str = "demo-planner",
    media: str = GEOJSON,
    reason: str | None = None,
):
    headers = {"Content-Type": media} if body is not None else {}
    if etag:
        headers["If-Match"] = etag
    if reason:
        headers["X-Change-Reason"] = quote(reason)
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    return live.client(who).request(method, url, data=data, headers=headers, timeout=60)


def inside_point(live) -> tuple[float, float]:
    """A point well inside the county (inside a grid)."""
    ((x, y),) = query(
        live, "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids ORDER BY code LIMIT 1) q"
    )
    return x, y


def camera(live, device_id: str = "32010200001320099901", **props) -> dict:
    x, y = inside_point(live)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [x, y]},
        "properties": {
            "device_id": device_id,
            "name": "测试摄像机",
            "azimuth_deg": 90,
            "fov_deg": 60,
            "range_m": 80,
            **props,
        },
    }


def audit_actions(live, target: str) -> list[str]:
    return [a for (a,) in query(live, "SELECT action FROM audit_log WHERE target = %s ORDER BY id", target)]


def test_a_camera_is_created_read_back_patched_replaced_and_deleted(live):
    made = send(live, "POST", items_url(live, "cameras"), camera(live), reason="新增卡口")
    assert made.status_code == 201, made.text
    url = made.headers["Location"]
    assert url == f"{items_url(live, 'cameras')}/32010200001320099901" and made.headers["ETag"]
    read = live.client("demo-planner").get(url, timeout=30)
    assert read.json()["properties"]["online"] is True and read.headers["ETag"] == made.headers["ETag"]
    ((view_before,),) = query(live, "SELECT ST_AsText(view) FROM cameras WHERE device_id = '32010200001320099901'")
    # turning the camera changes its view (the trigger of sql/020)
    patched = send(
        live,
        "PATCH",
        url,
        {"properties": {"azimuth_deg": 270}},
        etag=read.headers["ETag"],
        media="application/merge-patch+json",
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"]["azimuth_deg"] == 270 and patched.json()["properties"]["name"] == "测试摄像机"
    ((view_after, west),) = query(
        live,
        "SELECT ST_AsText(view), ST_X(ST_Centroid(view)) < ST_X(geom) FROM cameras "
        "WHERE device_id = '32010200001320099901'",
    )
    assert view_after != view_before and west
    # the old ETag is stale now; none at all is 428
    assert (
        send(
            live,
            "PATCH",
            url,
            {"properties": {"online": False}},
            etag=read.headers["ETag"],
            media="application/merge-patch+json",
        ).json()["code"]
        == "stale_version"
    )
    assert send(live, "PUT", url, camera(live)).status_code == 428
    replaced = send(live, "PUT", url, camera(live, name="改名摄像机", online=False), etag=patched.headers["ETag"])
    assert replaced.status_code == 200 and replaced.json()["properties"]["azimuth_deg"] == 90
    assert query(live, "SELECT name, online, version FROM cameras WHERE device_id = '32010200001320099901'") == [
        ("改名摄像机", False, 3)
    ]
    assert send(live, "DELETE", url, etag=patched.headers["ETag"]).status_code == 412
    assert send(live, "DELETE", url, etag=replaced.headers["ETag"]).status_code == 204
    assert live.client("demo-planner").get(url, timeout=30).status_code == 404
    assert audit_actions(live, "cameras/32010200001320099901") == [
        "feature.create",
        "feature.update",
        "feature.replace",
        "feature.delete",
    ]
    ((reason,),) = query(
        live,
        "SELECT details->>'reason' FROM audit_log WHERE action = 'feature.create' "
        "AND target = 'cameras/32010200001320099901'",
    )
    assert reason == "新增卡口"


def test_a_key_road_is_created_replaced_patched_and_deleted(live):
    x, y = inside_point(live)
    line = {"type": "LineString", "coordinates": [[x - 0.002, y], [x + 0.002, y]]}
    road = {
        "type": "Feature",
        "id": "R900",
        "geometry": line,
        "properties": {"name": "测试路", "road_class": "secondary"},
    }
    made = send(live, "POST", items_url(live, "key-roads"), road)
    assert made.status_code == 201, made.text
    assert made.json()["geometry"]["type"] == "MultiLineString" and made.json()["properties"]["length_m"] > 300
    assert send(live, "POST", items_url(live, "key-roads"), road).json()["code"] == "duplicate_feature"
    longer = {
        **road,
        "geometry": {"type": "LineString", "coordinates": [[x - 0.004, y], [x + 0.004, y]]},
        "properties": {**made.json()["properties"], "road_class": "primary"},
    }  # length_m sent back: ignored
    replaced = send(live, "PUT", made.headers["Location"], longer, etag=made.headers["ETag"])
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["properties"]["length_m"] > 2 * made.json()["properties"]["length_m"] - 1
    renamed = send(
        live,
        "PATCH",
        made.headers["Location"],
        {"properties": {"name": "测试大道"}},
        etag=replaced.headers["ETag"],
        media="application/merge-patch+json",
    )
    assert query(live, "SELECT name, road_class, version FROM key_roads WHERE code = 'R900'") == [
        ("测试大道", "primary", 3)
    ]
    assert send(live, "DELETE", made.headers["Location"], etag=renamed.headers["ETag"]).status_code == 204
    assert query(live, "SELECT count(*) FROM key_roads WHERE code = 'R900'") == [(0,)]
    assert audit_actions(live, "key-roads/R900") == [
        "feature.create",
        "feature.replace",
        "feature.update",
        "feature.delete",
    ]


def location(live, **props) -> dict:
    x, y = inside_point(live)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [x, y]},
        "properties": {"code": "L900", "name": "测试部位", "kind": "school", **props},
    }


# why each case: a required property missing, a value outside the allowed list, a number out of the SQL range,
# a property the layer does not have, the wrong geometry type, an invalid polygon, a place outside the county,
# an id that is not a GB/T 28181 code, and something that is not a Feature at all
@pytest.mark.parametrize(
    "layer, change, code",
    [
        ("key-locations", lambda f: f["properties"].pop("name"), "missing_property"),
        ("key-locations", lambda f: f["properties"].update(kind="bar"), "invalid_property"),
        ("key-locations", lambda f: f["properties"].update(risk_level=4), "out_of_range"),
        ("key-locations", lambda f: f["properties"].update(colour="red"), "unknown_property"),
        (
            "key-locations",
            lambda f: f.update(geometry={"type": "LineString", "coordinates": [[118.8, 32.05], [118.81, 32.05]]}),
            "invalid_geometry_type",
        ),
        (
            "key-locations",
            lambda f: f.update(
                geometry=mapping(shapely.Polygon([(118.8, 32.05), (118.81, 32.06), (118.81, 32.05), (118.8, 32.06)]))
            ),
            "invalid_geometry",
        ),
        ("key-locations", lambda f: f["geometry"].update(coordinates=[116.4, 39.9]), "outside_jurisdiction"),
        ("cameras", lambda f: f["properties"].update(device_id="cam-1"), "invalid_feature_id"),
        ("cameras", lambda f: f["properties"].update(fov_deg=0), "out_of_range"),
        ("cameras", lambda f: f.update(type="FeatureCollection"), "invalid_feature"),
    ],
)
def test_a_bad_feature_is_422_and_nothing_is_written(live, layer, change, code):
    feature = location(live) if layer == "key-locations" else camera(live, "32010200001320099902")
    change(feature)
    r = send(live, "POST", items_url(live, layer), feature)
    assert (r.status_code, r.json()["code"]) == (422, code), r.text
    assert query(live, "SELECT count(*) FROM key_locations WHERE code = 'L900'") == [(0,)]
    assert query(live, "SELECT count(*) FROM cameras WHERE device_id = '32010200001320099902'") == [(0,)]


def test_only_planners_change_features_and_read_only_layers_refuse(live):
    for who in ("demo-county", "demo-grid"):
        assert send(live, "POST", items_url(live, "key-locations"), location(live), who=who).status_code == 403
    ((code,),) = query(live, "SELECT code FROM key_roads ORDER BY code LIMIT 1")
    assert (
        send(
            live, "DELETE", f"{items_url(live, 'key-roads')}/{code}", etag=f'"{code}-1"', who="demo-county"
        ).status_code
        == 403
    )
    r = send(live, "POST", items_url(live, "townships"), location(live))
    assert (r.status_code, r.json()["code"]) == (405, "read_only_layer")
    assert send(live, "POST", items_url(live, "key-locations"), location(live), media="text/plain").status_code == 415
    assert query(live, "SELECT count(*) FROM key_locations WHERE code = 'L900'") == [(0,)]


def grid_pair(live):
    """Two grids of one community sharing a long edge; the first's feature and ETag as read."""
    ((a, b),) = query(
        live,
        """
        SELECT x.code, y.code FROM grids x JOIN grids y ON x.community_code = y.community_code AND x.code < y.code
        WHERE ST_Length(ST_Intersection(ST_Boundary(x.geom), ST_Boundary(y.geom))::geography) > 100
        ORDER BY x.code LIMIT 1""",
    )
    r = live.client("demo-planner").get(f"{items_url(live, 'grids')}/{a}", timeout=30)
    return a, b, r.json(), r.headers["ETag"]


def test_a_grid_replace_that_moves_a_shared_boundary_alone_is_refused(live):
    a, b, feature, tag = grid_pair(live)
    ((neighbour,),) = query(live, "SELECT ST_AsGeoJSON(geom) FROM grids WHERE code = %s", b)
    ga, gb = shape(feature["geometry"]), shape(json.loads(neighbour))
    strip = gb.intersection(ga.boundary.intersection(gb.boundary).buffer(0.0002))
    assert (
        tag
        == query(live, "SELECT '\"' || code || '-' || layout_version || '\"' FROM communities WHERE code = %s", a[:12])[
            0
        ][0]
    )
    grown = send(
        live, "PUT", f"{items_url(live, 'grids')}/{a}", {**feature, "geometry": mapping(ga.union(strip))}, etag=tag
    )
    assert (grown.status_code, grown.json()["code"]) == (422, "topology_failed")
    (overlap,) = [d for d in grown.json()["error"]["details"] if d["check"] == "overlap"]
    assert shape(overlap["where"]).area > 0
    shrunk = send(
        live,
        "PUT",
        f"{items_url(live, 'grids')}/{a}",
        {**feature, "geometry": mapping(ga.difference(ga.intersection(gb.boundary.buffer(0.0002))))},
        etag=tag,
    )
    assert "gap" in {d["check"] for d in shrunk.json()["error"]["details"]}
    assert query(live, "SELECT version FROM grids WHERE code = %s", a) == [(1,)]


def densified(geometry: dict) -> dict:
    """The same multipolygon with one vertex added in the middle of its first edge (the tiling is unchanged)."""
    rings = geometry["coordinates"][0]
    (x0, y0), (x1, y1) = rings[0][0], rings[0][1]
    outer = [rings[0][0], [(x0 + x1) / 2, (y0 + y1) / 2], *rings[0][1:]]
    return {"type": "MultiPolygon", "coordinates": [[outer, *rings[1:]], *geometry["coordinates"][1:]]}


def test_a_valid_grid_replace_is_versioned_with_its_reason_and_stale_layouts_are_refused(live):
    a, b, feature, tag = grid_pair(live)
    url = f"{items_url(live, 'grids')}/{a}"
    done = send(
        live,
        "PUT",
        url,
        {**feature, "geometry": densified(feature["geometry"])},
        etag=tag,
        reason="复核边界：补充界桩点",
    )
    assert done.status_code == 200, done.text
    assert (
        done.headers["ETag"] != tag
        and len(done.json()["geometry"]["coordinates"][0][0]) == len(feature["geometry"]["coordinates"][0][0]) + 1
    )
    history = live.client("demo-planner").get(f"{live.url}/api/v1/grids/{a}/history", timeout=30).json()["items"]
    assert history[0]["reason"] == "复核边界：补充界桩点" and history[0]["author"] == "demo-planner"
    # the neighbour's ETag is the community layout's too: it is stale now
    assert (
        send(
            live,
            "PATCH",
            f"{items_url(live, 'grids')}/{b}",
            {"geometry": None},
            etag=tag,
            media="application/merge-patch+json",
        ).status_code
        == 412
    )
    renamed = send(
        live,
        "PATCH",
        url,
        {"properties": {"name": "新名字"}},
        etag=done.headers["ETag"],
        media="application/merge-patch+json",
    )
    assert (renamed.status_code, renamed.json()["code"]) == (422, "rename_not_supported")
    assert set(audit_actions(live, f"grids/{a}")) == {"feature.replace"}
    assert query(
        live, "SELECT count(*) FROM audit_log WHERE action = 'grid.edit' AND target = %s", f"community:{a[:12]}"
    ) == [(1,)]


def test_a_single_grid_created_or_retired_in_a_tiled_community_is_refused_with_the_problem(live):
    a, b, feature, tag = grid_pair(live)
    new_code = a[:12] + "999"
    inner = shape(feature["geometry"]).buffer(-0.0003)
    new_grid = {"type": "Feature", "geometry": mapping(inner), "properties": {"code": new_code, "name": "新网格"}}
    made = send(live, "POST", items_url(live, "grids"), new_grid)
    assert (made.status_code, made.json()["code"]) == (422, "topology_failed")  # it lies on grid a
    assert "overlap" in {d["check"] for d in made.json()["error"]["details"]}
    assert send(live, "POST", items_url(live, "grids"), new_grid, etag='"stale"').status_code == 412
    taken = send(live, "POST", items_url(live, "grids"), {**new_grid, "properties": {"code": b, "name": "重复"}})
    assert (taken.status_code, taken.json()["code"]) == (409, "grid_code_taken")
    retired = send(live, "DELETE", f"{items_url(live, 'grids')}/{a}", etag=tag)
    assert (retired.status_code, retired.json()["code"]) == (422, "topology_failed")  # its place left to nobody
    (gap,) = [d for d in retired.json()["error"]["details"] if d["check"] == "gap"]
    assert shape(gap["where"]).area > 0
    assert send(live, "DELETE", f"{items_url(live, 'grids')}/{a}").status_code == 428
    assert query(live, "SELECT count(*) FROM grids WHERE code IN (%s, %s)", a, new_code) == [(1,)]
    assert query(live, "SELECT count(*) FROM grid_codes WHERE code = %s", new_code) == [(0,)]
    assert audit_actions(live, f"grids/{new_code}") == [] and "feature.delete" not in audit_actions(live, f"grids/{a}")
