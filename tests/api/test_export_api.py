"""Layer export over real HTTP, read back with GDAL (pyogrio): formats, CRS, audit."""

import io
import zipfile

import pyogrio
import pytest

from tests.support import query


def export(live, name, who="demo-planner", **params):
    return live.client(who).get(f"{live.url}/api/v1/layers/{name}/export", params=params, timeout=60)


@pytest.mark.parametrize("fmt, suffix", [("geojson", ".geojson"), ("gpkg", ".gpkg"), ("shp", ".zip")])
def test_every_format_reads_back_with_gdal(live, tmp_path, fmt, suffix):
    r = export(live, "townships", format=fmt)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Disposition"].endswith(f'townships{suffix}"')
    path = tmp_path / f"townships{suffix}"
    path.write_bytes(r.content)
    if fmt == "shp":
        zipfile.ZipFile(io.BytesIO(r.content)).extractall(tmp_path)
        path = tmp_path / "townships.shp"
    frame = pyogrio.read_dataframe(path)
    assert len(frame) == 8 and set(frame["name"]) >= {"梅园新村街道"}
    assert frame.crs.to_epsg() == 4326


def test_a_gauss_kruger_zone_in_metres_and_a_web_map_offset(live, tmp_path):
    path = tmp_path / "grids.gpkg"
    path.write_bytes(export(live, "grids", format="gpkg", crs="EPSG:4549").content)
    frame = pyogrio.read_dataframe(path)
    assert frame.crs.to_epsg() == 4549 and 300 <= len(frame) <= 600
    minx, miny, _, _ = frame.total_bounds
    assert 300_000 < minx < 500_000 and 3_000_000 < miny < 4_000_000  # metres: west of the 120°E meridian, near 32°N
    total = frame.geometry.area.sum() / 1e6
    ((county_km2,),) = query(live, "SELECT ST_Area(geom::geography) / 1e6 FROM counties")
    assert abs(total - county_km2) / county_km2 < 0.01
    gcj = tmp_path / "cameras.geojson"
    gcj.write_bytes(export(live, "cameras", crs="GCJ-02").content)
    plain = tmp_path / "cameras-wgs.geojson"
    plain.write_bytes(export(live, "cameras").content)
    a, b = pyogrio.read_dataframe(gcj), pyogrio.read_dataframe(plain)
    shift = (a.geometry.x - b.geometry.x).abs().mean()
    assert 0.003 < shift < 0.008  # GCJ-02 moves points ~500 m in Nanjing


def test_bad_requests_and_roles_and_audit(live):
    assert export(live, "townships", format="kml").json()["error"]["code"] == "unknown_format"
    assert export(live, "townships", crs="EPSG:3857").json()["error"]["code"] == "unknown_crs"
    assert export(live, "rivers").status_code == 404
    assert export(live, "townships", who="demo-grid").status_code == 403
    assert (
        query(live, "SELECT count(*) FROM audit_log WHERE action = 'layer.export' AND actor = 'demo-planner'")[0][0]
        >= 1
    )
