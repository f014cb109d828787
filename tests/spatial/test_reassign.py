"""Bulk point-to-grid assignment: the shared-edge rule on hand-made cases, and equality with geopandas."""

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from bench.layers_bench import sjoin_assign as bench_sjoin
from bench.layers_bench import sjoin_frame
from gisapp.config import PROJECT_ROOT
from gisapp.demo.synth import synthesize
from gisapp.spatial.grid_index import GridIndex
from gisapp.spatial.reassign import PointAssigner

DEMO_GRIDS = PROJECT_ROOT / "layers" / "demo" / "grids.geojson"
BOTH_PATHS = pytest.mark.parametrize("shortcut", [True, False], ids=["rectangle-shortcut", "geos-only"])


def sjoin_assign(codes, geoms, lon, lat, predicate="intersects"):
    """The benchmark's anchor (geopandas.sjoin, then the lowest code), on codes and shapes."""
    return bench_sjoin(sjoin_frame(codes, geoms), lon, lat, predicate)


# four unit squares around (1, 1), codes deliberately not in position order
QUAD = [("004", box(1, 1, 2, 2)), ("002", box(1, 0, 2, 1)), ("003", box(0, 1, 1, 2)), ("001", box(0, 0, 1, 1))]


@BOTH_PATHS
def test_point_on_shared_edge_goes_to_lower_code(shortcut):
    a = PointAssigner(*zip(*QUAD), rectangle_shortcut=shortcut)
    # on the edge 001|002, on the edge 003|004, on the edge 002|004
    assert a.assign([1.0, 1.0, 1.5], [0.5, 1.5, 1.0]).tolist() == ["001", "003", "002"]


@BOTH_PATHS
def test_point_on_vertex_shared_by_four_grids_goes_to_lowest(shortcut):
    a = PointAssigner(*zip(*QUAD), rectangle_shortcut=shortcut)
    assert a.assign([1.0], [1.0]).tolist() == ["001"]


@BOTH_PATHS
def test_outer_boundary_belongs_to_its_grid_and_outside_is_none(shortcut):
    a = PointAssigner(*zip(*QUAD), rectangle_shortcut=shortcut)
    # the outer corner (2, 2), the outer edge x = 0, just outside, far away, NaN
    got = a.assign([2.0, 0.0, 2.0000001, 50.0, np.nan], [2.0, 1.5, 1.0, 50.0, 0.5]).tolist()
    assert got == ["004", "003", None, None, None]


def test_point_in_a_hole_goes_to_the_grid_filling_it():
    ring = Polygon([(0, 0), (3, 0), (3, 3), (0, 3)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    a = PointAssigner(["010", "020"], [ring, box(1, 1, 2, 2)])
    # inside the hole; on the hole's edge (shared by both: 010 is lower); in the ring's body
    assert a.assign([1.5, 1.0, 0.5], [1.5, 1.5, 0.5]).tolist() == ["020", "010", "010"]


def test_hole_without_a_filling_grid_is_outside():
    ring = Polygon([(0, 0), (3, 0), (3, 3), (0, 3)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    assert PointAssigner(["010"], [ring]).assign([1.5, 1.0], [1.5, 1.5]).tolist() == [None, "010"]


def test_multipolygon_parts_and_an_enclave():
    # grid 007 has two parts far apart; 005 sits between them and touches the second part at x = 5
    two_parts = MultiPolygon([box(0, 0, 1, 1), box(4, 0, 5, 1)])
    a = PointAssigner(["007", "005"], [two_parts, box(5, 0, 6, 1)])
    assert a.assign([0.5, 4.5, 2.5, 5.0], [0.5, 0.5, 0.5, 0.5]).tolist() == ["007", "007", None, "005"]


@BOTH_PATHS
def test_diagonal_shared_edge_and_its_vertices(shortcut):
    # two triangles sharing the diagonal (0,0)-(1,1); (0.5, 0.5) and (0.25, 0.25) lie exactly on it
    lower, upper = Polygon([(0, 0), (1, 0), (1, 1)]), Polygon([(0, 0), (1, 1), (0, 1)])
    a = PointAssigner(["200", "100"], [lower, upper], rectangle_shortcut=shortcut)
    got = a.assign([0.5, 0.25, 0.0, 1.0, 0.9, 0.1], [0.5, 0.25, 0.0, 1.0, 0.1, 0.9]).tolist()
    assert got == ["100", "100", "100", "100", "200", "100"]


def test_rectangle_detection_is_exact():
    # a rectangle with an extra vertex on one side is not taken for a box (it goes through GEOS):
    # its answer is the same either way
    notched = Polygon([(0, 0), (0.5, 0), (1, 0), (1, 1), (0, 1)])
    a = PointAssigner(["001"], [notched])
    assert not a.exact_by_box[0]
    assert a.assign([0.5, 1.0, 1.1], [0.0, 1.0, 0.5]).tolist() == ["001", "001", None]


def test_duplicate_codes_are_refused():
    with pytest.raises(ValueError):
        PointAssigner(["001", "001"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])


def test_empty_layer_and_no_points():
    assert PointAssigner([], []).assign([1.0], [1.0]).tolist() == [None]
    assert PointAssigner(*zip(*QUAD)).assign([], []).tolist() == []


def _edge_points(geoms) -> tuple[np.ndarray, np.ndarray]:
    """Every vertex and every edge midpoint of the grids (many on shared edges and vertices)."""
    rings = shapely.get_coordinates(shapely.boundary(np.asarray(geoms)), return_index=True)
    coords, owner = rings
    same = owner[1:] == owner[:-1]
    mids = (coords[1:][same] + coords[:-1][same]) / 2
    pts = np.unique(np.vstack([coords, mids]), axis=0)
    return pts[:, 0], pts[:, 1]


def _random_points(geoms, n, seed):
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geoms))
    rng = np.random.default_rng(seed)
    return rng.uniform(minx - 0.001, maxx + 0.001, n), rng.uniform(miny - 0.001, maxy + 0.001, n)


@BOTH_PATHS
def test_same_answers_as_geopandas_on_the_demo_county(shortcut):
    frame = gpd.read_file(DEMO_GRIDS, engine="pyogrio")
    codes, geoms = frame["code"].tolist(), list(frame.geometry)
    ex, ey = _edge_points(geoms)
    rx, ry = _random_points(geoms, 20_000, seed=5)
    lon, lat = np.concatenate([ex, rx]), np.concatenate([ey, ry])
    got = PointAssigner(codes, geoms, rectangle_shortcut=shortcut).assign(lon, lat)
    expected = sjoin_assign(codes, geoms, lon, lat)
    assert (got == expected).all()
    assert (got != None).sum() > 10_000  # noqa: E711 - elementwise
    # the shared-edge rule did decide: many vertices lie in two grids or more
    index = GridIndex(zip(codes, geoms))
    assert sum(len(index.covering(x, y)) >= 2 for x, y in zip(ex[:2000], ey[:2000])) > 500


@BOTH_PATHS
def test_same_answers_as_geopandas_on_a_synthetic_lattice(tmp_path, shortcut):
    synthesize(tmp_path, grids=2000, seed=3)
    features = json.loads((tmp_path / "grids.geojson").read_text())["features"]
    codes = [f["properties"]["code"] for f in features]
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
    ex, ey = _edge_points(geoms)
    rx, ry = _random_points(geoms, 30_000, seed=9)
    lon, lat = np.concatenate([ex, rx]), np.concatenate([ey, ry])
    assigner = PointAssigner(codes, geoms, rectangle_shortcut=shortcut)
    assert assigner.exact_by_box.all() == shortcut
    got = assigner.assign(lon, lat)
    assert (got == sjoin_assign(codes, geoms, lon, lat)).all()
    # 'within' would lose every point on an edge: the rule needs the boundary
    within = sjoin_assign(codes, geoms, ex, ey, predicate="within")
    assert (within == None).all()  # noqa: E711 - elementwise
