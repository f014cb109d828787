"""The in-memory grid index agrees with PostGIS, shared edges included."""
import random

from sqlalchemy import text

from gisapp.config import PROJECT_ROOT
from gisapp.services.geocode import locate
from gisapp.spatial.grid_index import GridIndex

GRIDS = PROJECT_ROOT / "layers" / "demo" / "grids.geojson"


def test_index_reads_every_demo_grid():
    assert len(GridIndex.read(GRIDS)) == len(__import__("json").loads(GRIDS.read_text())["features"])


def test_index_and_postgis_place_random_points_alike(session):
    idx = GridIndex.read(GRIDS)
    minx, miny, maxx, maxy = session.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM counties) x")).one()
    rng = random.Random(320102)
    inside = 0
    for _ in range(300):
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        expected = idx.locate(lon, lat)
        if expected is None:
            continue
        inside += 1
        assert locate(session, lon, lat).grid.code == expected
    assert inside > 100


def test_index_and_postgis_agree_on_shared_vertices(session):
    idx = GridIndex.read(GRIDS)
    # vertices of one grid that other grids share: covered by two or more grids
    rows = session.execute(text("""
        SELECT DISTINCT ST_X(d.geom) AS lon, ST_Y(d.geom) AS lat
        FROM (SELECT (ST_DumpPoints(geom)).geom FROM grids WHERE code IN
              (SELECT code FROM grids ORDER BY code LIMIT 5)) d
        LIMIT 80""")).all()
    shared = 0
    for lon, lat in rows:
        if len(idx.covering(lon, lat)) >= 2:
            shared += 1
            assert locate(session, lon, lat).grid.code == idx.locate(lon, lat)
    assert shared > 5
