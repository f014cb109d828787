"""Geometry across the database edge (gisapp/db.py): a shapely geometry written as a parameter and read back as a
column is the same geometry to the last bit, with the storage SRID, in real PostGIS."""

import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gisapp.db import from_db, geometry_sql, to_db

ECHO = geometry_sql("SELECT :geom AS geom, ST_SRID(:geom) AS srid", params=("geom",), columns=("geom",))
lon = st.floats(min_value=-180, max_value=180, allow_nan=False)
lat = st.floats(min_value=-90, max_value=90, allow_nan=False)


# the session only reads (SELECT of parameters): sharing it between examples is safe
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(lon, lat), min_size=2, max_size=8))
def test_a_geometry_comes_back_bit_for_bit_with_the_storage_srid(session, points):
    for geom in (shapely.Point(points[0]), shapely.LineString(points), shapely.MultiPoint(points)):
        row = session.execute(ECHO, {"geom": to_db(geom)}).one()
        assert row.srid == 4326
        assert shapely.to_wkb(from_db(row.geom)) == shapely.to_wkb(geom)


def test_a_polygon_with_a_hole_keeps_its_rings(session):
    outer, hole = (
        [(118.0, 32.0), (119.0, 32.0), (119.0, 33.0), (118.0, 32.0)],
        [(118.5, 32.2), (118.8, 32.2), (118.8, 32.5), (118.5, 32.2)],
    )
    polygon = shapely.Polygon(outer, [hole])
    assert from_db(session.execute(ECHO, {"geom": to_db(polygon)}).one().geom).equals_exact(polygon, 0)
