"""The in-memory grid index agrees with PostGIS, shared edges included."""

import random

from sqlalchemy import text

from gisapp.config import PROJECT_ROOT
from gisapp.services.jurisdiction.geocode import locate
from gisapp.spatial.grid_index import GridIndex

GRIDS = PROJECT_ROOT / "layers" / "demo" / "grids.geojson"


def test_index_reads_every_demo_grid():
    assert len(GridIndex.read(GRIDS)) == len(__import__("json").loads(GRIDS.read_text())["features"])


def test_index_and_postgis_place_random_points_alike(session):
    idx = GridIndex.read(GRIDS)
    minx, miny, maxx, maxy = session.execute(
        text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM counties) x")
    ).one()
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
    rows = session.execute(
        text("""
        SELECT DISTINCT ST_X(d.geom) AS lon, ST_Y(d.geom) AS lat
        FROM (SELECT (ST_DumpPoints(geom)).geom FROM grids WHERE code IN
              (SELECT code FROM grids ORDER BY code LIMIT 5)) d
        LIMIT 80""")
    ).all()
    shared = 0
    for lon, lat in rows:
        if len(idx.covering(lon, lat)) >= 2:
            shared += 1
            assert locate(session, lon, lat).grid.code == idx.locate(lon, lat)
    assert shared > 5


def test_an_edited_grid_is_found_in_its_new_shape_only():
    from shapely.geometry import box

    idx = GridIndex([("001", box(0, 0, 1, 1)), ("002", box(1, 0, 2, 1)), ("003", box(2, 0, 3, 1))])
    # the boundary 001|002 moves east to x = 1.5: 001 grows, 002 shrinks
    idx.replace("001", box(0, 0, 1.5, 1))
    idx.replace("002", box(1.5, 0, 2, 1))
    assert [idx.locate(x, 0.5) for x in (0.5, 1.2, 1.5, 1.8)] == ["001", "001", "001", "002"]
    # 003 is deleted, 004 added where it was (and a little further)
    idx.remove("003")
    assert idx.locate(2.5, 0.5) is None and len(idx) == 2
    idx.replace("004", box(2, 0, 4, 1))
    assert idx.locate(2.5, 0.5) == "004" and idx.covering(2.0, 0.5) == ["002", "004"] and len(idx) == 3


def test_updates_give_the_same_answers_as_a_fresh_index():
    import numpy as np
    import shapely

    idx = GridIndex.read(GRIDS)
    frame = __import__("geopandas").read_file(GRIDS, engine="pyogrio")
    shapes = dict(zip(frame["code"], frame.geometry))
    first, second = sorted(shapes)[:2]
    # swap two grids' shapes, drop a third
    third = sorted(shapes)[2]
    shapes[first], shapes[second] = shapes[second], shapes[first]
    idx.replace(first, shapes[first])
    idx.replace(second, shapes[second])
    idx.remove(third)
    del shapes[third]
    fresh = GridIndex(shapes.items())
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(list(shapes.values())))
    rng = np.random.default_rng(4)
    edited = [
        shapes[first].representative_point(),
        shapes[second].representative_point(),
        frame.geometry[frame["code"] == third].iloc[0].representative_point(),
    ]
    points = [(p.x, p.y) for p in edited] + list(zip(rng.uniform(minx, maxx, 500), rng.uniform(miny, maxy, 500)))
    for lon, lat in points:
        assert idx.covering(lon, lat) == fresh.covering(lon, lat)
    assert idx.locate(edited[0].x, edited[0].y) == first and idx.locate(edited[2].x, edited[2].y) != third
