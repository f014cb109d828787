"""Vector tiles over HTTP: decoded with mapbox-vector-tile and checked against PostGIS on the demo county."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
import requests

from gisapp.services.layers.tiles import BUFFER, EXTENT, MAX_ZOOM
from gisapp.spatial.tiles import tile_of
from tests.support import query

ENVELOPE = "ST_Transform(ST_TileEnvelope(%s, %s, %s), 4326)"
BUFFERED = f"ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => {BUFFER / EXTENT}), 4326)"
GRID_PROPERTIES = {
    "code",
    "name",
    "community_code",
    "community_name",
    "township_code",
    "team_code",
    "team_name",
    "team_members",
    "team_on_duty",
}


def fetch(live, user: str, path: str, **headers) -> requests.Response:
    return live.client(user).get(f"{live.url}/tiles/{path}", headers=headers, timeout=30)


def decode(r: requests.Response) -> dict:
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(r.content)


def grid_point(live, username: str = "demo-grid") -> tuple[str, float, float]:
    """The grid of an account (or a fixed demo grid) and a point inside it."""
    return query(
        live,
        "SELECT g.code, ST_X(p), ST_Y(p) FROM (SELECT g.code, ST_PointOnSurface(g.geom) AS p "
        "FROM grids g JOIN users u ON u.grid_code = g.code WHERE u.username = %s) g",
        username,
    )[0]


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    return (z, *tile_of(lon, lat, z))


def codes(layer: dict) -> set[str]:
    return {f["properties"]["code"] for f in layer["features"]}


def coordinates(geometry) -> list:
    """Every (x, y) of a decoded geometry, however nested."""
    if (
        isinstance(geometry, (list, tuple))
        and len(geometry) == 2
        and all(isinstance(v, (int, float)) for v in geometry)
    ):
        return [geometry]
    return [pair for part in geometry for pair in coordinates(part)]


def test_grid_tile_holds_the_grids_meeting_it_with_their_properties(live):
    _, lon, lat = grid_point(live)
    z, x, y = tile_at(lon, lat, 15)
    tile = decode(fetch(live, "demo-county", f"grids/{z}/{x}/{y}.mvt"))
    assert list(tile) == ["grids"] and tile["grids"]["extent"] == EXTENT
    inside = {c for (c,) in query(live, f"SELECT code FROM grids WHERE ST_Intersects(geom, {ENVELOPE})", z, x, y)}
    near = {c for (c,) in query(live, f"SELECT code FROM grids WHERE ST_Intersects(geom, {BUFFERED})", z, x, y)}
    assert inside <= codes(tile["grids"]) <= near and len(tile["grids"]["features"]) == len(codes(tile["grids"]))
    feature = tile["grids"]["features"][0]["properties"]
    assert set(feature) == GRID_PROPERTIES
    name, community, team, members = query(
        live,
        "SELECT g.name, c.name, t.code, (SELECT count(*) FROM members m "
        "WHERE m.team_code = t.code) FROM grids g JOIN communities c "
        "ON c.code = g.community_code JOIN teams t ON t.grid_code = g.code "
        "WHERE g.code = %s",
        feature["code"],
    )[0]
    assert (feature["name"], feature["community_name"], feature["team_code"], feature["team_members"]) == (
        name,
        community,
        team,
        members,
    )


def test_tile_geometry_stays_within_the_extent_and_its_buffer(live):
    _, lon, lat = grid_point(live)
    for z in (10, 12, 14, 16):
        tile = decode(fetch(live, "demo-county", "grids/%d/%d/%d.mvt" % tile_at(lon, lat, z)))
        points = [
            p for layer in tile.values() for f in layer["features"] for p in coordinates(f["geometry"]["coordinates"])
        ]
        assert points and all(-BUFFER <= v <= EXTENT + BUFFER for p in points for v in p), z


# the grids tileset from the declared min_zooms: townships < 12 <= communities < 13 <= grids
@pytest.mark.parametrize(
    "z, layer, table",
    [
        (9, "townships", "townships"),
        (11, "townships", "townships"),
        (12, "communities", "communities"),
        (13, "grids", "grids"),
    ],
)
def test_grids_tileset_generalises_to_townships_and_communities_at_low_zoom(live, z, layer, table):
    _, lon, lat = grid_point(live)
    z, x, y = tile_at(lon, lat, z)
    tile = decode(fetch(live, "demo-county", f"grids/{z}/{x}/{y}.mvt"))
    assert list(tile) == [layer]
    inside = {c for (c,) in query(live, f"SELECT code FROM {table} WHERE ST_Intersects(geom, {ENVELOPE})", z, x, y)}
    near = {c for (c,) in query(live, f"SELECT code FROM {table} WHERE ST_Intersects(geom, {BUFFERED})", z, x, y)}
    assert inside <= codes(tile[layer]) <= near


def test_generalised_outlines_have_fewer_points_and_follow_a_changed_township(live):
    full, z9, z12 = query(
        live, "SELECT sum(ST_NPoints(geom)), sum(ST_NPoints(geom_z9)), sum(ST_NPoints(geom_z12)) FROM townships"
    )[0]
    assert z9 < z12 <= full
    conn = live.db()
    try:  # the change is rolled back: the other tests keep the demo township
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE townships SET geom = ST_Multi(ST_Buffer(geom, 0.001)) "
                "WHERE code = (SELECT min(code) FROM townships) RETURNING ST_HausdorffDistance(geom, geom_z9)"
            )
            drift = cur.fetchone()[0]
    finally:
        conn.rollback()
        conn.close()
    assert 0 < drift <= 360.0 / (4096 * 2**9) * 1.01  # within one tile unit at z9: the outline was redone


def test_a_tile_outside_the_area_is_empty(live):
    z, x, y = tile_at(116.39, 39.91, 14)  # Beijing: no feature of the demo county
    r = fetch(live, "demo-county", f"grids/{z}/{x}/{y}.mvt")
    assert r.status_code == 200 and r.content == b"" and decode(r) == {}


def test_a_grid_officer_sees_only_its_grid_and_the_grids_around_it(live):
    code, lon, lat = grid_point(live)
    z, x, y = tile_at(lon, lat, 14)
    seen = codes(decode(fetch(live, "demo-grid", f"grids/{z}/{x}/{y}.mvt"))["grids"])
    around = {
        c
        for (c,) in query(
            live, "SELECT n.code FROM grids o JOIN grids n ON ST_Intersects(n.geom, o.geom) WHERE o.code = %s", code
        )
    }
    county = codes(decode(fetch(live, "demo-county", f"grids/{z}/{x}/{y}.mvt"))["grids"])
    assert code in seen and seen <= around and len(seen) < len(county)


def test_a_township_dispatcher_sees_what_the_layers_api_gives_it(live):
    township = query(live, "SELECT township_code FROM users WHERE username = 'demo-township'")[0][0]
    lon, lat = query(
        live, "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) c FROM townships WHERE code = %s) s", township
    )[0]
    for layer, z in (("townships", 8), ("communities", 12), ("key-locations", 12)):
        tile = decode(fetch(live, "demo-township", f"{layer}/%d/%d/%d.mvt" % tile_at(lon, lat, z)))
        bbox = ",".join(
            str(v)
            for v in query(
                live,
                f"SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT {ENVELOPE}::box2d b) s",
                *tile_at(lon, lat, z),
            )[0]
        )
        listed = live.client("demo-township").get(f"{live.url}/api/v1/layers/{layer}?bbox={bbox}", timeout=30).json()
        expected = {f["properties"]["code"] for f in listed["features"]}
        assert expected and expected <= codes(tile[layer]), layer
        everyone = codes(decode(fetch(live, "demo-county", f"{layer}/%d/%d/%d.mvt" % tile_at(lon, lat, z)))[layer])
        assert codes(tile[layer]) < everyone, layer  # the county sees more there: the township's tile is scoped


@pytest.mark.parametrize(
    "path, status, code",
    [
        ("grids/abc/1/2.mvt", 400, "invalid_tile"),  # not a number
        ("grids/13/1.5/2.mvt", 400, "invalid_tile"),  # not a whole number
        ("grids/3/8/0.mvt", 404, "tile_out_of_range"),  # x beyond 2^z - 1
        ("grids/3/0/-1.mvt", 404, "tile_out_of_range"),  # negative y
        (f"grids/{MAX_ZOOM + 1}/0/0.mvt", 404, "tile_out_of_range"),  # beyond the deepest zoom
        ("rivers/10/0/0.mvt", 404, "unknown_layer"),  # no such layer
        ("rivers.json", 404, "unknown_layer"),
    ],
)
def test_bad_tiles_are_refused_with_a_stable_code(live, path, status, code):
    r = fetch(live, "demo-county", path)
    assert r.status_code == status and r.json()["error"]["code"] == code, r.text


def test_tilejson_describes_the_tiles_of_the_callers_area(live):
    r = live.client("demo-grid").get(f"{live.url}/tiles/grids.json", timeout=30)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["tilejson"] == "3.0.0" and doc["tiles"] == [f"{live.url}/tiles/grids/{{z}}/{{x}}/{{y}}.mvt"]
    assert (doc["minzoom"], doc["maxzoom"]) == (0, MAX_ZOOM)
    assert [(v["id"], v["minzoom"], v["maxzoom"]) for v in doc["vector_layers"]] == [
        ("townships", 0, 11),
        ("communities", 12, 12),
        ("grids", 13, MAX_ZOOM),
    ]
    assert set(doc["vector_layers"][2]["fields"]) == GRID_PROPERTIES
    assert doc["vector_layers"][2]["fields"]["code"] == "网格编码 (String)"
    code = grid_point(live)[0]
    box = query(
        live,
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Union(n.geom)::box2d b "
        "FROM grids o JOIN grids n ON ST_Intersects(n.geom, o.geom) WHERE o.code = %s) s",
        code,
    )[0]
    assert doc["bounds"] == pytest.approx(list(box), abs=1e-6)
    cameras = live.client("demo-county").get(f"{live.url}/tiles/cameras.json", timeout=30).json()
    assert cameras["minzoom"] == 15 and set(cameras["vector_layers"][0]["fields"]) >= {"device_id", "online"}


def test_a_tile_is_served_from_the_cache_with_an_etag(live):
    _, lon, lat = grid_point(live)
    path = "grids/%d/%d/%d.mvt" % tile_at(lon, lat, 18)  # a zoom no other test asks for: not cached yet
    first, again = fetch(live, "demo-county", path), fetch(live, "demo-county", path)
    assert (first.headers["X-Tile-Cache"], again.headers["X-Tile-Cache"]) == ("miss", "hit")
    assert again.content == first.content and again.headers["ETag"] == first.headers["ETag"]
    assert "private" in again.headers["Cache-Control"]
    unchanged = fetch(live, "demo-county", path, **{"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    stored = query(
        live,
        "SELECT count(*) FROM tile_cache WHERE tileset = 'grids' AND z = 18 AND scope = %s",
        "county:" + query(live, "SELECT county_code FROM users WHERE username = 'demo-county'")[0][0],
    )
    assert stored[0][0] == 1


def test_moving_a_camera_purges_its_tile_and_keeps_the_others(live):
    device, lon, lat = query(live, "SELECT device_id, ST_X(geom), ST_Y(geom) FROM cameras ORDER BY device_id LIMIT 1")[
        0
    ]
    here = "cameras/%d/%d/%d.mvt" % tile_at(lon, lat, 16)
    far_lon, far_lat = query(
        live,
        "SELECT ST_X(geom), ST_Y(geom) FROM cameras ORDER BY geom <-> "
        "ST_SetSRID(ST_MakePoint(%s, %s), 4326) DESC LIMIT 1",
        lon,
        lat,
    )[0]
    far = "cameras/%d/%d/%d.mvt" % tile_at(far_lon, far_lat, 16)
    before, kept = fetch(live, "demo-county", here), fetch(live, "demo-county", far)
    query(live, "UPDATE cameras SET geom = ST_Translate(geom, 0.0001, 0) WHERE device_id = %s", device)
    after = fetch(live, "demo-county", here)
    assert after.headers["X-Tile-Cache"] == "miss" and after.content != before.content
    assert after.headers["ETag"] != before.headers["ETag"]
    still = fetch(live, "demo-county", far)
    assert still.headers["X-Tile-Cache"] == "hit" and still.content == kept.content


def test_changing_a_grid_purges_its_tiles_and_the_grid_officers_around_it(live):
    code, lon, lat = grid_point(live)
    path = "grids/%d/%d/%d.mvt" % tile_at(lon, lat, 15)
    fetch(live, "demo-county", path), fetch(live, "demo-grid", path)
    query(live, "UPDATE grids SET name = name || '（改）' WHERE code = %s", code)
    for user in ("demo-county", "demo-grid"):
        r = fetch(live, user, path)
        assert r.headers["X-Tile-Cache"] == "miss", user
        names = {f["properties"]["code"]: f["properties"]["name"] for f in decode(r)["grids"]["features"]}
        assert names[code].endswith("（改）")


def test_a_members_duty_change_purges_its_grids_tile(live):
    code, lon, lat = grid_point(live)
    path = "grids/%d/%d/%d.mvt" % tile_at(lon, lat, 15)
    fetch(live, "demo-county", path)
    query(
        live,
        "UPDATE members SET duty_status = CASE duty_status WHEN 'off_duty' THEN 'on_duty' ELSE 'off_duty' END "
        "WHERE code = (SELECT min(m.code) FROM members m JOIN teams t ON t.code = m.team_code "
        "WHERE t.grid_code = %s)",
        code,
    )
    assert fetch(live, "demo-county", path).headers["X-Tile-Cache"] == "miss"


def test_a_grid_edit_through_the_api_purges_the_tiles_it_touches_only(live):
    from shapely.geometry import mapping

    from tests.api.test_grid_edit_api import pair, put

    a, b, ga, gb, strip, etag = pair(live)
    p = strip.representative_point()
    here = "grids/%d/%d/%d.mvt" % tile_at(p.x, p.y, 16)
    far_lon, far_lat = query(
        live,
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c FROM grids "
        "ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) DESC LIMIT 1) s",
        p.x,
        p.y,
    )[0]
    far = "grids/%d/%d/%d.mvt" % tile_at(far_lon, far_lat, 16)
    before, kept = fetch(live, "demo-county", here), fetch(live, "demo-county", far)
    moved = [{"code": a, "geometry": mapping(ga.union(strip))}, {"code": b, "geometry": mapping(gb.difference(strip))}]
    done = put(live, a[:12], moved, etag)
    assert done.status_code == 200, done.text
    after = fetch(live, "demo-county", here)
    assert after.headers["X-Tile-Cache"] == "miss" and after.content != before.content
    still = fetch(live, "demo-county", far)
    assert still.headers["X-Tile-Cache"] == "hit" and still.content == kept.content
    back = put(
        live, a[:12], [{"code": a, "geometry": mapping(ga)}, {"code": b, "geometry": mapping(gb)}], done.headers["ETag"]
    )
    assert back.status_code == 200, back.text


def test_a_tile_built_during_a_change_is_served_at_once_but_not_stored(live):
    device, lon, lat = query(
        live, "SELECT device_id, ST_X(geom), ST_Y(geom) FROM cameras ORDER BY device_id DESC LIMIT 1"
    )[0]
    path = "cameras/%d/%d/%d.mvt" % tile_at(lon, lat, 17)
    old_name = query(live, "SELECT name FROM cameras WHERE device_id = %s", device)[0][0]
    changer = live.db()
    with changer.cursor() as cur:  # the change is made, its purge holds the cache's lock, not committed yet
        cur.execute("UPDATE cameras SET name = '移动后' WHERE device_id = %s", (device,))
    during = fetch(live, "demo-county", path)
    changer.commit()
    changer.close()
    assert during.headers["X-Tile-Cache"] == "bypass"
    assert names_of(decode(during))[device] == old_name  # the change was not committed yet
    after = fetch(live, "demo-county", path)  # nothing stale was stored: built again
    assert after.headers["X-Tile-Cache"] == "miss" and names_of(decode(after))[device] == "移动后"
    assert fetch(live, "demo-county", path).headers["X-Tile-Cache"] == "hit"


def names_of(tile: dict) -> dict[str, str]:
    return {f["properties"]["device_id"]: f["properties"]["name"] for f in tile["cameras"]["features"]}
