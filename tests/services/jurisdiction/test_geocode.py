"""Geocoding against the demo county in PostGIS, including the shared-edge rule."""

import pytest
from sqlalchemy import text

from gisapp.errors import OutsideJurisdiction
from gisapp.services.jurisdiction.geocode import locate

SHARED_VERTEX = text("""
WITH pairs AS (
    SELECT a.code AS a, b.code AS b, a.geom AS ga, b.geom AS gb
    FROM grids a JOIN grids b ON a.code < b.code AND ST_Touches(a.geom, b.geom)
    ORDER BY a.code, b.code LIMIT 40
), va AS (
    SELECT a, b, gb, (ST_DumpPoints(ga)).geom AS v FROM pairs
)
SELECT a, b, ST_X(v) AS lon, ST_Y(v) AS lat
FROM va
WHERE ST_Covers(gb, v)
  AND (SELECT count(*) FROM grids g WHERE ST_Covers(g.geom, v)) = 2
LIMIT 1
""")


def test_point_inside_a_grid_gives_the_whole_hierarchy(session):
    row = session.execute(
        text("""
        SELECT ST_X(p) AS lon, ST_Y(p) AS lat, g.code, g.community_code, c.township_code
        FROM (SELECT *, ST_PointOnSurface(geom) AS p FROM grids ORDER BY code DESC LIMIT 1) g
        JOIN communities c ON c.code = g.community_code""")
    ).one()
    where = locate(session, row.lon, row.lat)
    assert where.grid.code == row.code
    assert where.community.code == row.community_code == where.grid.code[:12]
    assert where.township.code == row.township_code == where.grid.code[:9]
    assert where.county.code == "320102"
    assert where.team is not None and where.team.code == "T" + row.code
    assert where.township_center.code == row.township_code + "-C"
    assert where.county_center.code == "320102-C"


def test_point_on_shared_edge_goes_to_lower_code(session):
    # a vertex of grid a that lies exactly on the boundary of grid b: both cover it
    a, b, lon, lat = session.execute(SHARED_VERTEX).one()
    covering = (
        session.execute(
            text(
                "SELECT code FROM grids WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) ORDER BY code"
            ),
            {"lon": lon, "lat": lat},
        )
        .scalars()
        .all()
    )
    assert covering == [a, b]
    assert locate(session, lon, lat).grid.code == a
    # asked again, the same answer: the rule is deterministic
    assert {locate(session, lon, lat).grid.code for _ in range(5)} == {a}


@pytest.mark.parametrize(
    "lon, lat",
    [
        # Beijing
        (116.3974, 39.9087),
        # 秦淮区, the neighbour to the south
        (118.7946, 32.0208),
        # null island
        (0.0, 0.0),
    ],
)
def test_points_outside_the_county_are_refused(session, lon, lat):
    with pytest.raises(OutsideJurisdiction) as err:
        locate(session, lon, lat)
    assert err.value.code == "outside_jurisdiction"


def test_grids_tile_their_community_in_postgis(session):
    # no overlaps between grids of the same community (area in m² through geography)
    overlap = session.execute(
        text("""
        SELECT COALESCE(max(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0)
        FROM grids a JOIN grids b ON a.code < b.code AND a.geom && b.geom
        WHERE ST_Intersects(a.geom, b.geom)""")
    ).scalar_one()
    assert overlap < 0.01
    # no gaps: the union of each community's grids has the community's area
    worst = session.execute(
        text("""
        SELECT max(abs(ST_Area(c.geom::geography) - ST_Area(u.geom::geography)))
        FROM communities c
        JOIN (SELECT community_code, ST_Union(geom) AS geom FROM grids GROUP BY community_code) u
          ON u.community_code = c.code""")
    ).scalar_one()
    assert worst < 1.0
    assert session.execute(text("SELECT count(*) FROM grids")).scalar_one() >= 300
