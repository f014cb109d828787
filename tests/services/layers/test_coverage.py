"""Camera coverage against hand-computed cases, on real PostGIS (rolled back)."""

import pytest
from sqlalchemy import text

from gisapp.domain.security import Binding
from gisapp.services.layers.coverage import coverage

LON, LAT = 118.8130, 32.0600  # inside 玄武区
M_PER_DEG_LON = 94_480.0  # roughly, at this latitude; only for placing things, not for checking


@pytest.fixture()
def scene(session):
    """Only our own road, location and cameras: a straight road 400 m long running east from (LON, LAT)."""
    session.execute(text("UPDATE cameras SET online = false"))
    session.execute(text("DELETE FROM key_roads"))
    session.execute(text("DELETE FROM key_locations"))
    east = LON + 400 / M_PER_DEG_LON
    session.execute(
        text(
            "INSERT INTO key_roads (code, name, road_class, geom) VALUES ('R1', '测试路', 'primary', "
            "ST_Multi(ST_SetSRID(ST_MakeLine(ST_MakePoint(:a, :y), ST_MakePoint(:b, :y)), 4326)))"
        ),
        {"a": LON, "b": east, "y": LAT},
    )
    return session


def camera(session, device, lon, azimuth, fov, range_m, online=True):
    session.execute(
        text(
            "INSERT INTO cameras (device_id, name, azimuth_deg, fov_deg, range_m, online, geom) "
            "VALUES (:d, :d, :az, :fov, :r, :on, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
        ),
        {"d": device, "az": azimuth, "fov": fov, "r": range_m, "on": online, "x": lon, "y": LAT},
    )


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
    camera(scene, "99010200001320000001", LON, 90, 60, 100)  # at the west end, looking east
    r1, _ = road(scene)
    assert abs(r1["covered_m"] - 100) < 0.5  # the sector's axis is the road
    assert abs(r1["covered_ratio"] - 100 / r1["length_m"]) < 0.002
    gap = r1["gaps"]["coordinates"]
    assert len(gap) == 1 and abs(gap[0][0][0] - (LON + 100 / M_PER_DEG_LON)) < 2e-5  # the gap starts 100 m east


def test_a_camera_looking_away_or_offline_covers_nothing(scene):
    camera(scene, "99010200001320000002", LON, 270, 60, 100)  # looking west, away from the road
    camera(scene, "99010200001320000003", LON + 0.001, 90, 90, 200, online=False)
    r1, _ = road(scene)
    assert r1["covered_m"] < 0.5


def test_overlapping_views_count_once_and_a_dome_covers_its_diameter(scene):
    mid = LON + 200 / M_PER_DEG_LON
    camera(scene, "99010200001320000004", mid, 0, 360, 50)  # a 360° dome in the middle: 100 m of road
    camera(scene, "99010200001320000005", mid, 90, 40, 40)  # inside the dome's view: adds nothing
    r1, _ = road(scene)
    assert abs(r1["covered_m"] - 100) < 1.0
    assert len(r1["gaps"]["coordinates"]) == 2  # the stretches west and east of the dome


def test_key_locations_are_covered_when_a_view_reaches_them(scene):
    scene.execute(
        text(
            "INSERT INTO key_locations (code, name, kind, geom) VALUES "
            "('L1', '学校', 'school', ST_SetSRID(ST_MakePoint(:x, :y), 4326)), "
            "('L2', '医院', 'hospital', ST_SetSRID(ST_MakePoint(:x2, :y), 4326))"
        ),
        {"x": LON + 50 / M_PER_DEG_LON, "x2": LON + 300 / M_PER_DEG_LON, "y": LAT},
    )
    camera(scene, "99010200001320000006", LON, 90, 60, 100)
    _, report = road(scene)
    assert {loc["id"]: loc["covered"] for loc in report["key_locations"]} == {"L1": True, "L2": False}
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

    from gisapp.services.layers.features import area_filter, layer_geojson

    camera(scene, "99010200001320000008", LON, 90, 60, 100)
    fc = json.loads(layer_geojson(scene, "coverage-gaps", None, area_filter(Binding.COUNTY, "320102")))
    (gap,) = fc["features"]
    assert gap["properties"]["code"] == "R1" and abs(gap["properties"]["gap_m"] - 300) < 2
    assert gap["geometry"]["type"] == "MultiLineString"


# --- the stored coverage (sql/027) is kept up to date by triggers ---------------------------------------

NAIVE_COVERED_SQL = text("""
SELECT r.code, COALESCE(ST_Length(ST_Intersection(r.geom, (SELECT ST_Union(c.view) FROM cameras c
       WHERE c.online AND c.view && r.geom AND ST_Intersects(c.view, r.geom)))::geography), 0) AS covered_m
FROM key_roads r ORDER BY r.code
""")


def stored(session) -> dict[str, float]:
    return dict(session.execute(text("SELECT road_code, covered_m FROM key_road_coverage ORDER BY 1")).all())


def second_road(session, lat):
    """R2: a parallel 400 m road at another latitude."""
    session.execute(
        text(
            "INSERT INTO key_roads (code, name, road_class, geom) VALUES ('R2', '第二路', 'secondary', "
            "ST_Multi(ST_SetSRID(ST_MakeLine(ST_MakePoint(:a, :y), ST_MakePoint(:b, :y)), 4326)))"
        ),
        {"a": LON, "b": LON + 400 / M_PER_DEG_LON, "y": lat},
    )


def camera_at(session, device, lon, lat, azimuth, fov, range_m):
    session.execute(
        text(
            "INSERT INTO cameras (device_id, name, azimuth_deg, fov_deg, range_m, geom) "
            "VALUES (:d, :d, :az, :fov, :r, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
        ),
        {"d": device, "az": azimuth, "fov": fov, "r": range_m, "x": lon, "y": lat},
    )


def test_a_new_road_gets_its_coverage_stored_at_once(scene):
    assert stored(scene) == {"R1": 0}
    camera(scene, "99010200001320000011", LON, 90, 60, 100)
    assert abs(stored(scene)["R1"] - 100) < 0.5


def test_a_camera_going_offline_recomputes_exactly_the_roads_it_saw(scene):
    north = LAT + 0.01  # about 1.1 km north: out of R1's cameras' reach
    second_road(scene, north)
    camera(scene, "99010200001320000012", LON, 90, 60, 100)  # sees R1
    camera_at(scene, "99010200001320000013", LON, north, 90, 60, 100)  # sees R2
    assert abs(stored(scene)["R1"] - 100) < 0.5 and abs(stored(scene)["R2"] - 100) < 0.5
    # a marker in R2's stored row: a recompute of R2 would overwrite it
    scene.execute(text("UPDATE key_road_coverage SET covered_m = -1 WHERE road_code = 'R2'"))
    scene.execute(text("UPDATE cameras SET online = false WHERE device_id = '99010200001320000012'"))
    assert stored(scene) == {"R1": 0, "R2": -1}
    scene.execute(text("UPDATE cameras SET online = true WHERE device_id = '99010200001320000012'"))
    assert abs(stored(scene)["R1"] - 100) < 0.5 and stored(scene)["R2"] == -1
    scene.execute(text("UPDATE cameras SET name = '改名' WHERE device_id = '99010200001320000013'"))
    assert stored(scene)["R2"] == -1  # a rename changes no view: nothing recomputed


def test_a_moved_road_is_recomputed(scene):
    camera(scene, "99010200001320000014", LON, 90, 60, 100)
    scene.execute(text("UPDATE key_roads SET geom = ST_Translate(geom, 0, 0.01) WHERE code = 'R1'"))
    r1, _ = road(scene)
    assert r1["covered_m"] == 0 and abs(stored(scene)["R1"]) < 1e-9
    scene.execute(text("UPDATE key_roads SET geom = ST_Translate(geom, 0, -0.01) WHERE code = 'R1'"))
    assert abs(stored(scene)["R1"] - 100) < 0.5


def test_a_renamed_or_deleted_road_keeps_no_stale_row(scene):
    scene.execute(text("UPDATE key_roads SET code = 'R9' WHERE code = 'R1'"))
    assert list(stored(scene)) == ["R9"]
    scene.execute(text("DELETE FROM key_roads WHERE code = 'R9'"))
    assert stored(scene) == {}


def test_a_deleted_camera_uncovers_its_stretch(scene):
    camera(scene, "99010200001320000015", LON, 90, 60, 100)
    scene.execute(text("DELETE FROM cameras WHERE device_id = '99010200001320000015'"))
    r1, _ = road(scene)
    assert r1["covered_m"] == 0 and len(r1["gaps"]["coordinates"]) == 1


def test_a_bulk_update_of_many_cameras_matches_a_recompute_from_scratch(session):
    # the demo county: every camera changes in one statement (half go offline, all turn 90°)
    session.execute(
        text(
            "UPDATE cameras SET online = (hashtext(device_id) % 2 = 0), azimuth_deg = (azimuth_deg::numeric + 90) % 360"
        )
    )
    naive = dict(session.execute(NAIVE_COVERED_SQL).all())
    kept = stored(session)
    assert kept.keys() == naive.keys() and len(kept) > 5
    assert max(abs(kept[c] - naive[c]) for c in naive) < 0.1
    assert sum(naive.values()) > 0  # the case is not all-zero


def test_the_demo_load_stores_what_a_full_refresh_computes(session):
    before = stored(session)
    from gisapp.services.layers.coverage import refresh

    assert refresh(session)["key_roads"] == len(before)
    after = stored(session)
    assert max(abs(before[c] - after[c]) for c in after) < 1e-6
    naive = dict(session.execute(NAIVE_COVERED_SQL).all())
    assert max(abs(after[c] - naive[c]) for c in naive) < 0.1


def test_a_new_key_location_is_covered_when_a_view_reaches_it(scene):
    camera(scene, "99010200001320000016", LON, 90, 60, 100)
    scene.execute(
        text(
            "INSERT INTO key_locations (code, name, kind, geom) VALUES "
            "('L7', '广场', 'scenic', ST_Buffer(ST_SetSRID(ST_MakePoint(:x, :y), 4326), 0.0001)), "
            "('L8', '车站', 'transport_hub', ST_SetSRID(ST_MakePoint(:x2, :y), 4326))"
        ),
        {"x": LON + 60 / M_PER_DEG_LON, "x2": LON + 300 / M_PER_DEG_LON, "y": LAT},
    )
    kept = dict(scene.execute(text("SELECT location_code, covered FROM key_location_coverage")).all())
    assert kept == {"L7": True, "L8": False}
    scene.execute(
        text("UPDATE key_locations SET geom = ST_SetSRID(ST_MakePoint(:x, :y), 4326) WHERE code = 'L8'"),
        {"x": LON + 30 / M_PER_DEG_LON, "y": LAT},
    )
    _, report = road(scene)
    assert {loc["id"]: loc["covered"] for loc in report["key_locations"]} == {"L7": True, "L8": True}
    scene.execute(text("UPDATE cameras SET online = false WHERE device_id = '99010200001320000016'"))
    _, report = road(scene)
    assert {loc["id"]: loc["covered"] for loc in report["key_locations"]} == {"L7": False, "L8": False}


def test_a_closed_loop_road_and_a_two_part_road_are_measured_like_the_union_of_views(scene):
    # a loop (its first point is its last) seen around that point, and a road in two parts
    side_lon, side_lat = 100 / M_PER_DEG_LON, 100 / 111_000
    scene.execute(
        text(
            "INSERT INTO key_roads (code, name, road_class, geom) VALUES ('R3', '环路', 'secondary', ST_SetSRID("
            "ST_GeomFromText(format('MULTILINESTRING((%s %s, %s %s, %s %s, %s %s, %s %s))', "
            ":x, :y, :x + :dx, :y, :x + :dx, :y + :dy, :x, :y + :dy, :x, :y)), 4326)), "
            "('R4', '断头路', 'secondary', ST_SetSRID(ST_GeomFromText(format('MULTILINESTRING((%s %s, %s %s), "
            "(%s %s, %s %s))', :x, :y - :dy, :x + :dx, :y - :dy, :x + 2 * :dx, :y - :dy, :x + 3 * :dx, :y - :dy)), "
            "4326))"
        ),
        {"x": LON, "y": LAT + 0.01, "dx": side_lon, "dy": side_lat},
    )
    camera_at(scene, "99010200001320000017", LON, LAT + 0.01, 0, 360, 30)  # the loop's first corner
    camera_at(scene, "99010200001320000018", LON + 1.5 * side_lon, LAT + 0.01 - side_lat, 0, 360, 80)  # both parts
    kept = stored(scene)
    assert (
        abs(kept["R3"] - 60) < 1.0 and abs(kept["R4"] - 60) < 1.0
    )  # 30 m at the end of one part, 30 m at the start of the other
    naive = dict(scene.execute(NAIVE_COVERED_SQL).all())
    assert all(abs(kept[c] - naive[c]) < 0.1 for c in ("R3", "R4"))


def test_two_transactions_switching_off_cameras_of_one_road_leave_the_newest_answer(clone_db):
    # committed for real in a database of its own: the second recompute must wait for the first and see it
    import threading

    from gisapp.db import make_engine

    engine = make_engine(clone_db(), pool_size=3)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE cameras SET online = false"))
            conn.execute(text("DELETE FROM key_roads"))
            scene_road = "ST_Multi(ST_SetSRID(ST_MakeLine(ST_MakePoint(:a, :y), ST_MakePoint(:b, :y)), 4326))"
            conn.execute(
                text(
                    f"INSERT INTO key_roads (code, name, road_class, geom) VALUES ('R1', '测试路', "
                    f"'primary', {scene_road})"
                ),
                {"a": LON, "b": LON + 400 / M_PER_DEG_LON, "y": LAT},
            )
            for device, lon in (("99010200001320000021", LON), ("99010200001320000022", LON + 200 / M_PER_DEG_LON)):
                conn.execute(
                    text(
                        "INSERT INTO cameras (device_id, name, azimuth_deg, fov_deg, range_m, geom) "
                        "VALUES (:d, :d, 90, 60, 100, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
                    ),
                    {"d": device, "x": lon, "y": LAT},
                )
        first, second = engine.connect(), engine.connect()
        first.begin()
        first.execute(text("UPDATE cameras SET online = false WHERE device_id = '99010200001320000021'"))
        done = threading.Event()

        def switch_off_the_other():
            with second.begin():
                second.execute(text("UPDATE cameras SET online = false WHERE device_id = '99010200001320000022'"))
            done.set()

        worker = threading.Thread(target=switch_off_the_other)
        worker.start()
        assert not done.wait(1.0)  # it waits for the first transaction's lock on R1's stored row
        first.commit()
        worker.join(10)
        assert done.is_set()
        with engine.connect() as conn:
            covered = conn.execute(text("SELECT covered_m FROM key_road_coverage WHERE road_code = 'R1'")).scalar_one()
        assert covered == 0
        first.close()
        second.close()
    finally:
        engine.dispose()
