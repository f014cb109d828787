"""Layer import against the real PostGIS: each format and CRS, broken files, every problem, all or nothing.

Files are built in the tests with geopandas / pyogrio / json / csv under tmp_path: no binary fixtures.
"""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text

from gisapp.errors import UnsupportedMediaType, ValidationFailed
from gisapp.services.access.audit import Actor
from gisapp.services.layers.import_read import FileRefused, read_layer_file
from gisapp.services.layers.importer import ImportRejected, import_layer
from gisapp.spatial.crs import wgs84_to_bd09, wgs84_to_gcj02
from tests.support import TEST_AUDIT_KEY, distance_m

COUNTY = "320102"
PLANNER = Actor("demo-planner", "planner", "127.0.0.1")


def camera(n: int, lon: float, lat: float, **props) -> dict:
    """A camera feature of the demo county (GB/T 28181 id: county, 00, 00, type 131, 0, serial)."""
    base = {
        "device_id": f"32010200001310{900000 + n:06d}",
        "name": f"导入测试摄像机{n}",
        "azimuth_deg": 90,
        "fov_deg": 60,
        "range_m": 80,
        "online": True,
    }
    return {"type": "Feature", "properties": base | props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def geojson(features: list[dict], crs: str | None = None) -> bytes:
    doc = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc, ensure_ascii=False).encode()


def frame_of(features: list[dict], crs: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame.from_features(features, crs=crs)


def gpkg(tmp_path, features: list[dict], crs: str) -> bytes:
    path = tmp_path / "layer.gpkg"
    frame_of(features, crs).to_file(path, driver="GPKG", engine="pyogrio", layer="cameras")
    return path.read_bytes()


def zipped_shapefile(tmp_path, features: list[dict], crs: str | None, drop: tuple[str, ...] = ()) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    frame_of(features, crs or "EPSG:4326").to_file(
        folder / "layer.shp", engine="pyogrio", layer_options={"ENCODING": "UTF-8"}
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in sorted(folder.iterdir()):
            if part.suffix not in drop and not (crs is None and part.suffix == ".prj"):
                archive.write(part, part.name)
    return buffer.getvalue()


def csv_bytes(rows: list[dict]) -> bytes:
    head = list(rows[0])
    lines = [",".join(head)] + [",".join(str(r[k]) for k in head) for r in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture()
def spot(session) -> tuple[float, float]:
    """A known point inside the demo county."""
    lon, lat = session.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM counties WHERE code = :c) x"),
        {"c": COUNTY},
    ).one()
    return round(lon, 6), round(lat, 6)


def run(session, layer: str, data: bytes, name: str, crs: str | None = None, **kw) -> dict:
    source = read_layer_file(data, name, crs, layer=layer)
    return import_layer(
        session, TEST_AUDIT_KEY, PLANNER, COUNTY, layer, source, file_name=name, file_hash="0" * 64, **kw
    )


def stored_camera(session, n: int) -> tuple[float, float]:
    return session.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM cameras WHERE device_id = :d"),
        {"d": f"32010200001310{900000 + n:06d}"},
    ).one()


def projected(spot, epsg: int) -> tuple[float, float]:
    return Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True).transform(*spot)


# --- formats and CRSs: the stored point is the known point, within a metre ---------------------------


def test_geojson_in_rfc7946_crs84(session, spot):
    result = run(session, "cameras", geojson([camera(1, *spot)]), "cams.geojson")
    assert result["inserted"] == 1 and result["crs"] == "EPSG:4326"
    assert distance_m(stored_camera(session, 1), spot) < 1


def test_geopackage_in_cgcs2000(session, tmp_path, spot):
    result = run(session, "cameras", gpkg(tmp_path, [camera(2, *spot)], "EPSG:4490"), "cams.gpkg")
    assert result["crs"] == "EPSG:4490" and distance_m(stored_camera(session, 2), spot) < 1


# a Gauss-Kruger zone in metres, unprefixed (EPSG:4549, CM 120°E) and zone-prefixed (EPSG:4528, zone 40)
@pytest.mark.parametrize("epsg", [4549, 4528])
def test_zipped_shapefile_in_a_gauss_kruger_zone(session, tmp_path, spot, epsg):
    x, y = projected(spot, epsg)
    data = zipped_shapefile(tmp_path, [camera(3, x, y)], f"EPSG:{epsg}")
    result = run(session, "cameras", data, "cams.zip")
    assert result["crs"] == f"EPSG:{epsg}" and result["format"] == "shp"
    assert distance_m(stored_camera(session, 3), spot) < 1


def test_geojson_in_gcj02_declared_by_the_caller(session, spot):
    data = geojson([camera(4, *wgs84_to_gcj02(*spot))])
    assert distance_m(wgs84_to_gcj02(*spot), spot) > 100  # the offset is real: a mistake would show
    result = run(session, "cameras", data, "cams.geojson", crs="GCJ-02")
    assert result["crs"] == "GCJ-02" and distance_m(stored_camera(session, 4), spot) < 1


def test_csv_in_bd09_declared_by_the_caller(session, spot):
    lon, lat = wgs84_to_bd09(*spot)
    row = {
        "device_id": "32010200001310900005",
        "name": "百度坐标摄像机",
        "lng": lon,
        "lat": lat,
        "azimuth_deg": 10,
        "fov_deg": 360,
        "range_m": 50,
        "online": "是",
    }
    result = run(session, "cameras", csv_bytes([row]), "cams.csv", crs="BD-09")
    assert result["crs"] == "BD-09" and distance_m(stored_camera(session, 5), spot) < 1


def test_csv_with_a_wkt_column_in_a_gauss_kruger_zone(session, spot):
    x, y = projected(spot, 4549)
    row = {
        "code": "R901",
        "name": "导入测试路",
        "road_class": "primary",
        "wkt": f'"LINESTRING ({x} {y}, {x + 300} {y + 40})"',
    }
    assert run(session, "key-roads", csv_bytes([row]), "roads.csv", crs="EPSG:4549")["inserted"] == 1
    (start,) = session.execute(
        text("SELECT ST_AsText(ST_StartPoint(ST_GeometryN(geom, 1))) FROM key_roads WHERE code = 'R901'")
    ).one()
    assert distance_m(shapely.from_wkt(start).coords[0], spot) < 1


# --- broken files: refused as a whole with a code a user can act on ----------------------------------


def test_invalid_json_is_refused_with_its_position():
    with pytest.raises(FileRefused) as refused:
        read_layer_file(b'{"type": "FeatureCollection", "features": [', "x.geojson")
    assert refused.value.code == "unreadable_file" and "line 1" in refused.value.message


def test_a_truncated_zip_is_refused(tmp_path, spot):
    data = zipped_shapefile(tmp_path, [camera(6, *spot)], "EPSG:4326")
    with pytest.raises(FileRefused) as refused:
        read_layer_file(data[: len(data) // 2], "x.zip")
    assert refused.value.code == "unreadable_file"


def test_a_zip_without_shp_is_refused(tmp_path, spot):
    data = zipped_shapefile(tmp_path, [camera(7, *spot)], "EPSG:4326", drop=(".shp",))
    with pytest.raises(FileRefused) as refused:
        read_layer_file(data, "x.zip")
    assert refused.value.code == "missing_shapefile_part"


def test_a_shapefile_without_prj_needs_a_declared_crs(session, tmp_path, spot):
    data = zipped_shapefile(tmp_path, [camera(8, *spot)], None)
    with pytest.raises(FileRefused) as refused:
        read_layer_file(data, "x.zip")
    assert refused.value.code == "crs_required" and refused.value.field == "crs"
    assert "look like degrees" in refused.value.message
    assert run(session, "cameras", data, "x.zip", crs="EPSG:4326")["inserted"] == 1


def test_csv_without_crs_and_with_a_non_numeric_coordinate(session, spot):
    rows = [
        {
            "device_id": "32010200001310900009",
            "name": "甲",
            "lon": spot[0],
            "lat": spot[1],
            "azimuth_deg": 0,
            "fov_deg": 90,
            "range_m": 50,
        },
        {
            "device_id": "32010200001310900010",
            "name": "乙",
            "lon": "东经118度",
            "lat": spot[1],
            "azimuth_deg": 0,
            "fov_deg": 90,
            "range_m": 50,
        },
    ]
    with pytest.raises(FileRefused) as refused:
        read_layer_file(csv_bytes(rows), "x.csv")
    assert refused.value.code == "crs_required"
    with pytest.raises(ImportRejected) as rejected:
        run(session, "cameras", csv_bytes(rows), "x.csv", crs="EPSG:4326")
    [problem] = rejected.value.details
    assert (problem["index"], problem["id"], problem["check"]) == (1, "32010200001310900010", "malformed_geometry")
    assert "non-numeric" in problem["message"]
    assert session.execute(text("SELECT count(*) FROM cameras WHERE device_id LIKE '320102000013109%'")).scalar() == 0


def test_unknown_file_type_and_unknown_crs():
    with pytest.raises(UnsupportedMediaType):
        read_layer_file(b"x", "layer.kml")
    with pytest.raises(ValidationFailed) as refused:
        read_layer_file(geojson([]), "x.geojson", "EPSG:3857")
    assert refused.value.code == "unknown_crs"


def test_a_file_crs_outside_the_accepted_ones_is_refused(spot):
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(*spot)
    with pytest.raises(FileRefused) as refused:
        read_layer_file(geojson([camera(11, x, y)], crs="EPSG:3857"), "x.geojson")
    assert refused.value.code == "unsupported_crs"


def test_a_projected_file_crs_and_another_declared_one_conflict(spot):
    x, y = projected(spot, 4549)
    with pytest.raises(FileRefused) as refused:
        read_layer_file(geojson([camera(12, x, y)], crs="EPSG:4549"), "x.geojson", "EPSG:4550")
    assert refused.value.code == "crs_conflict"


# --- every problem of every feature, and nothing written ---------------------------------------------


def test_one_bad_feature_among_good_ones_writes_nothing_and_every_problem_is_listed(session, spot):
    lon, lat = spot
    features = [
        camera(20, lon, lat),
        camera(21, lon + 0.001, lat),
        camera(22, lon, lat, azimuth_deg=400, range_m=-5),  # two range problems
        camera(23, lon, lat, device_id="3201020000131"),  # too short
        camera(24, 121.47, 31.23),  # Shanghai: outside the county
        camera(20, lon, lat + 0.001),
    ]  # the first one's id again
    before = session.execute(text("SELECT count(*) FROM cameras")).scalar()
    with pytest.raises(ImportRejected) as rejected:
        run(session, "cameras", geojson(features), "cams.geojson")
    found = {(p["index"], p["check"]) for p in rejected.value.details}
    assert found == {(2, "out_of_range"), (3, "invalid_feature_id"), (4, "outside_county"), (5, "duplicate_id")}
    assert sum(p["check"] == "out_of_range" for p in rejected.value.details) == 2
    outside = next(p for p in rejected.value.details if p["check"] == "outside_county")
    assert outside["where"]["type"] == "Point" and outside["id"] == "32010200001310900024"
    assert session.execute(text("SELECT count(*) FROM cameras")).scalar() == before


def test_geometry_problems_carry_their_reason_and_location(session, spot):
    lon, lat = spot
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + 0.001, lat + 0.001], [lon + 0.001, lat], [lon, lat + 0.001], [lon, lat]]],
    }
    features = [
        {"type": "Feature", "properties": {"code": "L901", "name": "自交", "kind": "school"}, "geometry": bowtie},
        {
            "type": "Feature",
            "properties": {"code": "L902", "name": "线", "kind": "school"},
            "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.001, lat]]},
        },
        {
            "type": "Feature",
            "properties": {"code": "L 903", "kind": "park", "risk_level": 4},
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        },
        {"type": "Feature", "properties": {"code": "L904", "name": "无几何", "kind": "school"}, "geometry": None},
    ]
    with pytest.raises(ImportRejected) as rejected:
        run(session, "key-locations", geojson(features), "locs.geojson")
    by = {(p["index"], p["check"]): p for p in rejected.value.details}
    invalid = by[(0, "invalid_geometry")]
    assert "Self-intersection" in invalid["message"] and invalid["where"]["type"] == "Point"
    assert distance_m(invalid["where"]["coordinates"], (lon + 0.0005, lat + 0.0005)) < 1
    assert (1, "invalid_geometry_type") in by
    assert {(2, "missing_property"), (2, "invalid_property"), (2, "out_of_range"), (2, "invalid_feature_id")} <= set(by)
    assert (3, "missing_geometry") in by


# --- upsert: by code, a retry changes nothing ---------------------------------------------------------


def test_upsert_inserts_updates_and_a_second_run_changes_nothing(session, spot):
    lon, lat = spot
    road = {
        "type": "Feature",
        "properties": {"code": "R001", "name": "中山东路（改）", "road_class": "trunk"},
        "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.002, lat]]},
    }
    new = {
        "type": "Feature",
        "properties": {"code": "R902", "name": "新路", "road_class": "secondary"},
        "geometry": {"type": "MultiLineString", "coordinates": [[[lon, lat], [lon, lat + 0.002]]]},
    }
    roads = session.execute(text("SELECT count(*) FROM key_roads")).scalar()
    first = run(session, "key-roads", geojson([road, new]), "roads.geojson")
    assert (first["inserted"], first["updated"], first["unchanged"]) == (1, 1, 0)
    again = run(session, "key-roads", geojson([road, new]), "roads.geojson")
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert session.execute(text("SELECT count(*) FROM key_roads")).scalar() == roads + 1  # none removed
    assert session.execute(text("SELECT name FROM key_roads WHERE code = 'R001'")).scalar() == "中山东路（改）"
    audit = session.execute(
        text("SELECT details FROM audit_log WHERE action = 'layer.import' ORDER BY id DESC LIMIT 1")
    ).scalar()
    assert audit["unchanged"] == 2 and audit["file"] == "roads.geojson"


def test_dry_run_checks_and_writes_nothing(session, spot):
    result = run(session, "cameras", geojson([camera(30, *spot)]), "cams.geojson", dry_run=True)
    assert result["dry_run"] is True and result["features"] == 1
    assert (result["inserted"], result["matched"]) == (1, 0)
    assert session.execute(text("SELECT count(*) FROM cameras WHERE device_id = '32010200001310900030'")).scalar() == 0


def test_a_shapefile_keeps_chinese_names_and_truncated_fields(session, tmp_path, spot):
    data = zipped_shapefile(tmp_path, [camera(31, *spot, azimuth_deg=45.5)], "EPSG:4326")
    assert run(session, "cameras", data, "cams.zip")["inserted"] == 1  # azimuth_deg is azimuth_de in dBase
    name, azimuth = session.execute(
        text("SELECT name, azimuth_deg FROM cameras WHERE device_id = '32010200001310900031'")
    ).one()
    assert name == "导入测试摄像机31" and azimuth == pytest.approx(45.5)


# --- the job: progress seen from another connection while it runs, done in the import's transaction ---


@pytest.fixture()
def factory(clone_db):
    from gisapp.db import make_engine, make_session_factory

    engine = make_engine(clone_db(), pool_size=2)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_job_shows_its_progress_to_others_and_a_retry_finds_it(factory):
    from gisapp.services.layers.import_jobs import read_job, run_job, start_job

    with factory() as s:
        ((lon, lat),) = s.execute(
            text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM counties) x")
        ).all()
    data = geojson([camera(500 + i, lon + i * 1e-5, lat) for i in range(30)])
    with factory() as s, s.begin():
        job, created = start_job(s, "demo-planner", COUNTY, "cameras", "cams.geojson", data, crs=None, dry_run=False)
    assert created and job["status"] == "running"
    seen = []

    def look(stage, processed, total):  # what a poller in another request sees at this moment
        if stage == "writing" and processed in (10, 30):
            with factory() as other:
                polled = read_job(other, job["id"], COUNTY)
                in_table = other.execute(
                    text("SELECT count(*) FROM cameras WHERE device_id LIKE '3201020000131090050%'")
                ).scalar()
            seen.append((polled["status"], polled["stage"], polled["total"], in_table))

    done = run_job(factory, TEST_AUDIT_KEY, PLANNER, job, data, echo=look)
    assert done["status"] == "done" and done["result"]["inserted"] == 30 and done["processed"] == 30
    # running while it writes, and nothing of the file visible before the commit
    assert [(status, stage, in_table) for status, stage, _, in_table in seen] == [("running", "writing", 0)] * 2
    with factory() as s, s.begin():
        again, created = start_job(
            s, "demo-planner", COUNTY, "cameras", "other-name.geojson", data, crs=None, dry_run=False
        )
    assert not created and again["id"] == job["id"]


def test_a_job_stopped_by_an_error_ends_failed_and_writes_nothing(factory):
    from gisapp.services.layers.import_jobs import run_job, start_job

    data = geojson([camera(600, 118.8, 32.05, range_m="远")])
    with factory() as s, s.begin():
        job, _ = start_job(s, "demo-planner", COUNTY, "cameras", "x.geojson", data, crs=None, dry_run=False)
    done = run_job(factory, TEST_AUDIT_KEY, PLANNER, job, data)
    assert done["status"] == "failed" and done["problems"][0]["check"] == "invalid_property"
    assert done["finished_at"] is not None


# --- grids: a community's whole layout, the editing service's checks ---------------------------------


def layout_of(session, community: str) -> dict[str, tuple[str, shapely.Geometry]]:
    return {
        r.code: (r.name, shapely.from_wkb(bytes(r.wkb)))
        for r in session.execute(
            text("SELECT code, name, ST_AsBinary(geom) AS wkb FROM grids WHERE community_code = :c ORDER BY code"),
            {"c": community},
        )
    }


@pytest.fixture()
def community(session) -> str:
    """A community of the demo with at least three grids, two of which share an edge."""
    return session.execute(
        text(
            "SELECT a.community_code FROM grids a "
            "JOIN grids b ON a.community_code = b.community_code AND a.code < b.code "
            "AND ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom))::geography) > 100 "
            "GROUP BY a.community_code HAVING count(DISTINCT a.code) >= 2 ORDER BY a.community_code LIMIT 1"
        )
    ).scalar()


def grid_file(grids: dict[str, tuple[str, shapely.Geometry]]) -> bytes:
    return geojson(
        [
            {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": shapely.geometry.mapping(geom)}
            for code, (name, geom) in grids.items()
        ]
    )


def touching_pair(grids) -> tuple[str, str]:
    codes = sorted(grids)
    return next(
        (a, b)
        for a in codes
        for b in codes
        if a < b and grids[a][1].boundary.intersection(grids[b][1].boundary).length > 1e-3
    )


def test_a_grid_layout_with_an_overlap_is_refused_with_the_overlap(session, community):
    grids = layout_of(session, community)
    a, b = touching_pair(grids)
    name, geom = grids[a]
    grown = geom.buffer(0.0005).intersection(shapely.union_all([g for _, g in grids.values()]))
    with pytest.raises(ImportRejected) as rejected:
        run(session, "grids", grid_file(grids | {a: (name, grown)}), "grids.geojson")
    overlaps = [p for p in rejected.value.details if p["check"] == "overlap"]
    assert overlaps and all(a in (p["id"], p["message"][-15:]) for p in overlaps)
    assert any(shapely.geometry.shape(p["where"]).intersects(grids[b][1]) for p in overlaps)  # where it is
    assert layout_of(session, community)[a][1].equals(geom)  # nothing written


def test_a_grid_layout_with_a_gap_is_refused_with_the_gap(session, community):
    grids = layout_of(session, community)
    a = sorted(grids)[0]
    name, geom = grids[a]
    with pytest.raises(ImportRejected) as rejected:
        run(session, "grids", grid_file(grids | {a: (name, geom.buffer(-0.0003))}), "grids.geojson")
    [gap] = [p for p in rejected.value.details if p["check"] == "gap"]
    assert gap["index"] is None and gap["where"]["type"] in ("Polygon", "MultiPolygon")
    assert shapely.geometry.shape(gap["where"]).within(geom.buffer(1e-9))


def test_a_grid_of_an_unknown_community_is_refused(session, spot):
    lon, lat = spot
    square = shapely.box(lon, lat, lon + 0.001, lat + 0.001)
    with pytest.raises(ImportRejected) as rejected:
        run(session, "grids", grid_file({"320102999999001": ("无此社区", square)}), "grids.geojson")
    assert [p["check"] for p in rejected.value.details] == ["unknown_community"]


def test_moving_a_shared_boundary_by_import_versions_the_two_grids(session, community):
    grids = layout_of(session, community)
    a, b = touching_pair(grids)
    part = grids[b][1].intersection(grids[a][1].buffer(0.0003))
    moved = grids | {a: (grids[a][0], grids[a][1].union(part)), b: (grids[b][0], grids[b][1].difference(part))}
    result = run(session, "grids", grid_file(moved), "grids.geojson", reason="调整网格边界")
    assert (result["updated"], result["unchanged"], result.get("retired", 0)) == (2, len(grids) - 2, 0)
    after = layout_of(session, community)
    assert after[a][1].area > grids[a][1].area and after[b][1].area < grids[b][1].area
    reasons = (
        session.execute(
            text("SELECT reason FROM grid_versions WHERE grid_code = ANY(:c) AND version > 1"), {"c": [a, b]}
        )
        .scalars()
        .all()
    )
    assert reasons == ["调整网格边界"] * 2
    again = run(session, "grids", grid_file(moved), "grids.geojson")
    assert again["updated"] == 0 and again["unchanged"] == len(grids)


def test_a_job_silent_for_ten_minutes_was_interrupted_and_the_file_may_be_sent_again(factory):
    from gisapp.services.layers.import_jobs import read_job, start_job

    data = geojson([camera(700, 118.8, 32.05)])
    with factory() as s, s.begin():
        job, _ = start_job(s, "demo-planner", COUNTY, "cameras", "x.geojson", data, crs=None, dry_run=False)
        s.execute(
            text("UPDATE import_jobs SET updated_at = now() - interval '11 minutes' WHERE id = :id"), {"id": job["id"]}
        )
    with factory() as s, s.begin():
        stopped = read_job(s, job["id"], COUNTY)
        retry, created = start_job(s, "demo-planner", COUNTY, "cameras", "x.geojson", data, crs=None, dry_run=False)
    assert stopped["status"] == "failed" and stopped["problems"][0]["check"] == "interrupted"
    assert created and retry["id"] != job["id"]


def test_a_geopackage_table_without_geometry_is_refused(tmp_path):
    import pandas as pd
    import pyogrio

    path = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"code": ["L1"], "name": ["无几何"]}), path, layer="cameras")
    with pytest.raises(FileRefused) as refused:
        read_layer_file(path.read_bytes(), "table.gpkg")
    assert refused.value.code == "missing_geometry"


def test_a_layout_that_merges_two_grids_and_splits_a_third_creates_and_retires(session, community):
    from gisapp.services.jurisdiction.grid_edit import next_code

    grids = layout_of(session, community)
    a, b = touching_pair(grids)
    merged = shapely.union_all([grids[a][1], grids[b][1]])
    west, south, east, north = merged.bounds
    half = merged.intersection(shapely.box(west, south, (west + east) / 2, north))
    new = next_code(session, community)
    layout = {code: grid for code, grid in grids.items() if code != b}
    layout |= {a: (grids[a][0], merged.difference(half)), new: ("新建网格", half)}
    result = run(session, "grids", grid_file(layout), "grids.geojson", reason="合并后重划")
    assert (result["inserted"], result["updated"], result["retired"]) == (1, 1, 1)
    after = layout_of(session, community)
    assert b not in after and after[new][0] == "新建网格" and after[new][1].equals(half)
    retired = session.execute(text("SELECT retired_at IS NOT NULL FROM grid_codes WHERE code = :c"), {"c": b}).scalar()
    assert retired
    edits = session.execute(
        text("SELECT details FROM audit_log WHERE action = 'grid.edit' ORDER BY id DESC LIMIT 1")
    ).scalar()
    assert edits["retired"] == [b] and edits["created"] == [new] and edits["reason"] == "合并后重划"
    # the retired code cannot come back through an import
    with pytest.raises(ImportRejected) as rejected:
        run(session, "grids", grid_file(grids), "grids.geojson")  # the layout as it was, b included
    assert [(p["id"], p["check"]) for p in rejected.value.details] == [(b, "grid_code_retired")]


def test_a_grid_dry_run_previews_the_impact_and_writes_nothing(session, community):
    grids = layout_of(session, community)
    a, b = touching_pair(grids)
    layout = {code: grid for code, grid in grids.items() if code != b}
    layout[a] = ("改名无效", shapely.union_all([grids[a][1], grids[b][1]]))
    result = run(session, "grids", grid_file(layout), "grids.geojson", dry_run=True)
    assert result["dry_run"] and (result["updated"], result["retired"]) == (1, 1)
    assert result["names_kept"] == [a]
    impact = result["impact"][community]
    assert "teams_losing_their_grid" in impact
    assert set(layout_of(session, community)) == set(grids)
