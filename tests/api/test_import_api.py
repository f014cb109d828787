"""Layer import over real HTTP: upload (multipart), the job polled to its end, retries, limits and roles."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.conftest import start_server
from tests.services.layers.test_import import camera, csv_bytes, geojson, gpkg, projected, zipped_shapefile
from tests.support import distance_m, query


def spot(live) -> tuple[float, float]:
    ((lon, lat),) = query(live, "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM counties) x")
    return round(lon, 6), round(lat, 6)


def upload(live, layer: str, name: str, data: bytes, who: str = "demo-planner", **fields):
    return live.client(who).post(
        f"{live.url}/api/v1/layers/{layer}/import", files={"file": (name, data)}, data=fields, timeout=60
    )


def finished(live, location: str, who: str = "demo-planner") -> list[dict]:
    """Poll the job until it is no longer running; every state seen on the way."""
    seen = []
    for _ in range(600):
        job = live.client(who).get(live.url + location, timeout=30).json()
        seen.append(job)
        if job["status"] != "running":
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the job did not finish: {seen[-1]}")


def test_an_upload_is_a_job_polled_to_done_and_a_retry_gets_the_same_job(live):
    lon, lat = spot(live)
    data = geojson([camera(100 + i, lon + i * 1e-4, lat) for i in range(40)])
    r = upload(live, "cameras", "cams.geojson", data)
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    assert location == f"/api/v1/imports/{r.json()['id']}"
    states = finished(live, location)
    job = states[-1]
    assert job["status"] == "done" and job["stage"] == "finished", job
    assert job["processed"] == job["total"] == 40 and job["result"]["inserted"] == 40
    assert all(s["status"] in ("running", "done") for s in states)
    (stored,) = query(live, "SELECT ST_X(geom), ST_Y(geom) FROM cameras WHERE device_id = '32010200001310900100'")
    assert distance_m(stored, (lon, lat)) < 1
    again = upload(live, "cameras", "renamed.geojson", data)
    assert again.status_code == 200 and again.json()["id"] == job["id"] and again.headers["Location"] == location
    ((count,),) = query(live, "SELECT count(*) FROM cameras WHERE device_id LIKE '32010200001310900%%'")
    assert count == 40
    ((audits,),) = query(
        live, "SELECT count(*) FROM audit_log WHERE action = 'layer.import' AND details->>'sha256' = %s", job["sha256"]
    )
    assert audits == 1


def test_a_file_with_one_bad_feature_fails_with_every_problem_and_imports_nothing(live):
    lon, lat = spot(live)
    data = geojson([camera(200, lon, lat), camera(201, lon, lat, fov_deg=0), camera(202, 121.47, 31.23)])
    r = upload(live, "cameras", "bad.geojson", data)
    assert r.status_code == 202
    job = finished(live, r.headers["Location"])[-1]
    assert job["status"] == "failed" and job["problem_count"] == 2 and job["result"] is None
    assert {(p["index"], p["check"]) for p in job["problems"]} == {(1, "out_of_range"), (2, "outside_county")}
    ((count,),) = query(live, "SELECT count(*) FROM cameras WHERE device_id LIKE '3201020000131090020%%'")
    assert count == 0
    # a failed import is not a done one: the corrected file goes through, the same bad file is checked again
    again = upload(live, "cameras", "bad.geojson", data)
    assert again.status_code == 202 and again.json()["id"] != job["id"]
    assert finished(live, again.headers["Location"])[-1]["status"] == "failed"


def test_a_shapefile_without_prj_fails_until_its_crs_is_declared(live, tmp_path):
    data = zipped_shapefile(tmp_path, [camera(300, *spot(live))], None)
    job = finished(live, upload(live, "cameras", "noprj.zip", data).headers["Location"])[-1]
    assert job["status"] == "failed" and job["problems"][0]["check"] == "crs_required"
    declared = upload(live, "cameras", "noprj.zip", data, crs="EPSG:4490")
    assert finished(live, declared.headers["Location"])[-1]["status"] == "done"


def test_a_geopackage_in_a_gauss_kruger_zone_lands_on_its_point(live, tmp_path):
    lon, lat = spot(live)
    data = gpkg(tmp_path, [camera(350, *projected((lon, lat), 4549))], "EPSG:4549")
    job = finished(live, upload(live, "cameras", "gk.gpkg", data).headers["Location"])[-1]
    assert job["status"] == "done" and job["result"]["crs"] == "EPSG:4549", job
    (stored,) = query(live, "SELECT ST_X(geom), ST_Y(geom) FROM cameras WHERE device_id = '32010200001310900350'")
    assert distance_m(stored, (lon, lat)) < 1


def test_dry_run_reports_without_writing(live):
    lon, lat = spot(live)
    rows = [
        {
            "device_id": "32010200001310900400",
            "name": "试",
            "x": lon,
            "y": lat,
            "azimuth_deg": 1,
            "fov_deg": 2,
            "range_m": 3,
        }
    ]
    job = finished(
        live, upload(live, "cameras", "c.csv", csv_bytes(rows), crs="WGS84", dry_run="true").headers["Location"]
    )[-1]
    assert job["status"] == "done" and job["dry_run"] and job["result"]["dry_run"] is True
    assert query(live, "SELECT count(*) FROM cameras WHERE device_id = '32010200001310900400'") == [(0,)]


def test_bad_uploads_get_stable_codes(live):
    planner = live.client("demo-planner")
    url = f"{live.url}/api/v1/layers/cameras/import"
    r = planner.post(url, json={"file": "x"}, timeout=30)
    assert (r.status_code, r.json()["error"]["code"]) == (415, "unsupported_media_type")
    r = upload(live, "cameras", "cams.kml", b"<kml/>")
    assert (r.status_code, r.json()["error"]["code"]) == (415, "unknown_file_type")
    r = upload(live, "cameras", "cams.geojson", geojson([]), crs="EPSG:3857")
    assert (r.status_code, r.json()["error"]["code"]) == (422, "unknown_crs")
    r = planner.post(url, files={"other": ("a.geojson", b"{}")}, timeout=30)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "missing_file")
    r = upload(live, "rivers", "r.geojson", geojson([]))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_layer")
    job = finished(live, upload(live, "cameras", "broken.geojson", b'{"type": ').headers["Location"])[-1]
    assert job["status"] == "failed" and job["problems"][0]["check"] == "unreadable_file"


@pytest.mark.parametrize("who, status", [("demo-county", 403), ("demo-grid", 403), ("demo-auditor", 403)])
def test_only_planners_import(live, who, status):
    r = upload(live, "cameras", "cams.geojson", geojson([]), who=who)
    assert (r.status_code, r.json()["error"]["code"]) == (status, "forbidden")
    anonymous = requests.post(
        f"{live.url}/api/v1/layers/cameras/import", files={"file": ("a.geojson", b"{}")}, timeout=30
    )
    assert anonymous.status_code == 401


def test_a_county_runs_at_most_three_imports_at_once(live):
    query(
        live,
        "INSERT INTO import_jobs (layer, county_code, file_name, file_hash, author) "
        "SELECT 'cameras', '320102', 'held.geojson', repeat(to_hex(n), 64 / length(to_hex(n))), 'x' "
        "FROM generate_series(1, 3) n",
    )
    try:
        r = upload(live, "cameras", "one-more.geojson", geojson([]))
        assert (r.status_code, r.json()["error"]["code"]) == (409, "import_busy")
    finally:
        query(live, "UPDATE import_jobs SET status = 'failed', finished_at = now() WHERE file_name = 'held.geojson'")


def test_another_countys_job_does_not_exist_for_the_caller(live):
    job = finished(live, upload(live, "cameras", "x.geojson", b"[]").headers["Location"])[-1]
    assert job["status"] == "failed"
    query(
        live,
        "INSERT INTO counties (code, name, geom) SELECT '320104', '秦淮区', "
        "ST_Multi(ST_Translate(geom, 1, 0)) FROM counties WHERE code = '320102'",
    )
    query(live, "UPDATE import_jobs SET county_code = '320104' WHERE id = %s", job["id"])
    r = live.client("demo-planner").get(f"{live.url}/api/v1/imports/{job['id']}", timeout=30)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_import")


@pytest.fixture(scope="module")
def small_limit(clone_db):
    srv, httpd = start_server(clone_db(), max_upload_bytes=2000)
    yield srv
    httpd.shutdown()
    httpd.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
    srv.app.extensions["gisapp.engine"].dispose()


def test_an_upload_over_the_limit_is_413(small_limit):
    big = json.dumps({"type": "FeatureCollection", "features": [], "pad": "x" * 5000}).encode()
    r = upload(small_limit, "cameras", "big.geojson", big)
    assert (r.status_code, r.json()["error"]["code"]) == (413, "payload_too_large")
    assert "2000 bytes" in r.json()["error"]["message"]
    small = upload(small_limit, "cameras", "small.geojson", geojson([]))
    assert small.status_code == 202
    assert finished(small_limit, small.headers["Location"])[-1]["problems"][0]["check"] == "empty_file"


def test_an_upload_above_the_json_limit_is_accepted(live):
    """The JSON routes' 64 KiB limit does not apply: uploads have their own (50 MB by default)."""
    big = json.dumps({"type": "FeatureCollection", "features": [], "pad": "x" * 200_000}).encode()
    r = upload(live, "cameras", "padded.geojson", big)
    assert r.status_code == 202, r.text
    assert finished(live, r.headers["Location"])[-1]["problems"][0]["check"] == "empty_file"


def test_a_chunked_upload_over_the_limit_is_413_too(small_limit):
    """Without Content-Length the limit holds while the body is read."""
    boundary = "gisappboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.geojson"\r\n'
        "Content-Type: application/geo+json\r\n\r\n"
    ).encode()

    def body():
        yield head
        for _ in range(10):
            yield b" " * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    r = small_limit.client("demo-planner").post(
        f"{small_limit.url}/api/v1/layers/cameras/import",
        data=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        timeout=30,
    )
    assert (r.status_code, r.json()["error"]["code"]) == (413, "payload_too_large")
    assert "2000 bytes" in r.json()["error"]["message"]


def test_a_grid_layout_with_an_overlap_fails_with_the_overlap_and_changes_no_grid(live):
    (community,) = query(
        live,
        "SELECT community_code FROM grids GROUP BY community_code HAVING count(*) >= 2 ORDER BY community_code LIMIT 1",
    )[0]
    rows = query(
        live,
        "SELECT code, name, ST_AsGeoJSON(geom), (SELECT layout_version FROM communities "
        "WHERE code = %s) FROM grids WHERE community_code = %s ORDER BY code",
        community,
        community,
    )
    (grown,) = query(
        live,
        "SELECT ST_AsGeoJSON(ST_Intersection(ST_Buffer(g.geom, 0.0005), c.geom)) FROM grids g "
        "JOIN communities c ON c.code = g.community_code WHERE g.code = %s",
        rows[0][0],
    )[0]
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name},
            "geometry": json.loads(grown if i == 0 else geom),
        }
        for i, (code, name, geom, _) in enumerate(rows)
    ]
    r = upload(live, "grids", "grids.geojson", geojson(features))
    job = finished(live, r.headers["Location"])[-1]
    assert job["status"] == "failed", job
    overlap = next(p for p in job["problems"] if p["check"] == "overlap")
    assert overlap["where"]["type"] in ("Polygon", "MultiPolygon") and overlap["index"] is not None
    assert query(live, "SELECT layout_version FROM communities WHERE code = %s", community) == [(rows[0][3],)]
