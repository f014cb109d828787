"""Camera coverage against hand-computed cases, on real PostGIS (rolled back)."""
import pytest
from sqlalchemy import text

from gisapp.domain.security import Binding
from gisapp.services.coverage import coverage

LON, LAT = 118.8130, 32.0600   # inside 玄武区
M_PER_DEG_LON = 94_480.0       # roughly, at this latitude; only for placing things, not for checking


@pytest.fixture()
def scene(session):
    """Only our own road, location and cameras: a straight road 400 m long running east from (LON, LAT)."""
    session.execute(text("UPDATE cameras SET online = false"))
    session.execute(text("DELETE FROM key_roads"))
    session.execute(text("DELETE FROM key_locations"))
    east = LON + 400 / M_PER_DEG_LON
    session.execute(text("INSERT INTO key_roads (code, name, road_class, geom) VALUES ('R1', '测试路', 'primary', "
                         "ST_Multi(ST_SetSRID(ST_MakeLine(ST_MakePoint(:a, :y), ST_MakePoint(:b, :y)), 4326)))"),
                    {"a": LON, "b": east, "y": LAT})
    return session


def camera(session, device, lon, azimuth, fov, range_m, online=True):
    session.execute(text("INSERT INTO cameras (device_id, name, azimuth_deg, fov_deg, range_m, online, geom) "
                         "VALUES (:d, :d, :az, :fov, :r, :on, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                    {"d": device, "az": azimuth, "fov": fov, "r": range_m, "on": online, "x": lon, "y": LAT})


def road(session):
    report = coverage(session, Binding.COUNTY, "320102")
    (r1,) = report["key_roads"]
    return r1, report


def test_no_online_camera_leaves_the_whole_road_a_gap(scene):
    r1, report = road(scene)
    assert r1["covered_m"] == 0 and r1["covered_ratio"] == 0
    assert abs(r1["length_m"] - 400) < 2 and r1["gaps"]["type"] == "MultiLineString"
    assert report["county"]["covered_ratio"] == 0


def test_a_camera_looking_along_the_road_covers_its_range(scene):
    camera(scene, "99010200001320000001", LON, 90, 60, 100)   # at the west end, looking east
    r1, _ = road(scene)
    assert abs(r1["covered_m"] - 100) < 0.5                     # the sector's axis is the road
    assert abs(r1["covered_ratio"] - 100 / r1["length_m"]) < 0.002
    gap = r1["gaps"]["coordinates"]
    assert len(gap) == 1 and abs(gap[0][0][0] - (LON + 100 / M_PER_DEG_LON)) < 2e-5  # the gap starts 100 m east


def test_a_camera_looking_away_or_offline_covers_nothing(scene):
    camera(scene, "99010200001320000002", LON, 270, 60, 100)   # looking west, away from the road
    camera(scene, "99010200001320000003", LON + 0.001, 90, 90, 200, online=False)
    r1, _ = road(scene)
    assert r1["covered_m"] < 0.5


def test_overlapping_views_count_once_and_a_dome_covers_its_diameter(scene):
    mid = LON + 200 / M_PER_DEG_LON
    camera(scene, "99010200001320000004", mid, 0, 360, 50)       # a 360° dome in the middle: 100 m of road
    camera(scene, "99010200001320000005", mid, 90, 40, 40)       # inside the dome's view: adds nothing
    r1, _ = road(scene)
    assert abs(r1["covered_m"] - 100) < 1.0
    assert len(r1["gaps"]["coordinates"]) == 2                   # the stretches west and east of the dome


def test_key_locations_are_covered_when_a_view_reaches_them(scene):
    scene.execute(text("INSERT INTO key_locations (code, name, kind, geom) VALUES "
                       "('L1', '学校', 'school', ST_SetSRID(ST_MakePoint(:x, :y), 4326)), "
                       "('L2', '医院', 'hospital', ST_SetSRID(ST_MakePoint(:x2, :y), 4326))"),
                  {"x": LON + 50 / M_PER_DEG_LON, "x2": LON + 300 / M_PER_DEG_LON, "y": LAT})
    camera(scene, "99010200001320000006", LON, 90, 60, 100)
    _, report = road(scene)
    assert {l["id"]: l["covered"] for l in report["key_locations"]} == {"L1": True, "L2": False}
    (town,) = [t for t in report["townships"] if t["length_m"] > 0]
    assert town["key_locations"] == 2 and town["key_locations_covered"] == 1
    assert abs(town["covered_m"] - 100) < 0.5


def test_a_camera_moved_gets_its_view_recomputed(scene):
    camera(scene, "99010200001320000007", LON, 90, 60, 100)
    scene.execute(text("UPDATE cameras SET azimuth_deg = 270 WHERE device_id = '99010200001320000007'"))
    r1, _ = road(scene)
    assert r1["covered_m"] < 0.5


def test_the_gaps_are_a_map_layer(scene):
    import json

    from gisapp.services.layers import area_filter, layer_geojson

    camera(scene, "99010200001320000008", LON, 90, 60, 100)
    fc = json.loads(layer_geojson(scene, "coverage-gaps", None, area_filter(Binding.COUNTY, "320102")))
    (gap,) = fc["features"]
    assert gap["properties"]["code"] == "R1" and abs(gap["properties"]["gap_m"] - 300) < 2
    assert gap["geometry"]["type"] == "MultiLineString"
