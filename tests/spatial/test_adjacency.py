"""The in-process adjacency graph: hand-made contacts, and the same graph as the PostGIS builder (sql/013)."""

import geopandas as gpd
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, box
from sqlalchemy import text

from gisapp.demo.synth import synthesize
from gisapp.spatial.adjacency import build_adjacency, contiguity

D = 0.003  # about 280 m of longitude, 330 m of latitude at 32N
M = 1 / 94_500  # about one metre of longitude at 32N, in degrees
X0, Y0 = 119.0, 32.0


def cell(i, j, di=0.0):
    """The lattice square in column i, row j (moved east by di degrees)."""
    return box(X0 + i * D + di, Y0 + j * D, X0 + (i + 1) * D + di, Y0 + (j + 1) * D)


def test_shared_edge_and_corner_only_contacts():
    g = build_adjacency(["00", "01", "11", "20"], [cell(0, 0), cell(0, 1), cell(1, 1), cell(2, 0)])
    assert g.contacts() == {
        ("00", "01"): "edge",
        ("01", "00"): "edge",
        ("01", "11"): "edge",
        ("11", "01"): "edge",
        ("00", "11"): "corner",
        ("11", "00"): "corner",
        ("11", "20"): "corner",
        ("20", "11"): "corner",
    }
    # an edge's shared length: the edge plus about one tolerance at each end (sql/013)
    shared = dict(zip(zip(g.grid, g.neighbour), g.shared_m))
    edge_m = pyproj.Geod(ellps="GRS80").line_length([X0, X0 + D], [Y0 + D, Y0 + D])
    assert abs(shared[("00", "01")] - (edge_m + 2)) < 0.5
    assert 1.5 < shared[("00", "11")] < 2.5  # a right-angled corner: about two tolerances


def test_hairline_gap_under_the_tolerance_is_still_an_edge():
    # a 0.5 m gap left by digitising between two side-by-side grids: in contact; a 3 m gap: not
    g = build_adjacency(["a", "b", "c"], [cell(0, 0), cell(1, 0, 0.5 * M), cell(0, 2)])
    assert g.contacts() == {("a", "b"): "edge", ("b", "a"): "edge"}
    far = build_adjacency(["a", "b"], [cell(0, 0), cell(1, 0, 3 * M)])
    assert len(far) == 0
    # with a 5 m tolerance the 3 m gap counts
    assert build_adjacency(["a", "b"], [cell(0, 0), cell(1, 0, 3 * M)], tolerance_m=5).contacts()[("a", "b")] == "edge"


def test_a_short_stub_is_a_corner():
    # b touches a along only ~3 m of a's east side: shorter than 5 m + 2 tolerances
    stub = box(X0 + D, Y0 + D - 3 / 111_000, X0 + 2 * D, Y0 + 2 * D)
    assert build_adjacency(["a", "b"], [cell(0, 0), stub]).contacts()[("a", "b")] == "corner"


def test_multipolygon_and_enclave_in_a_hole():
    # grid h has a hole that grid e fills exactly; grid m has two parts, one touching h's east side
    holed = cell(0, 0).buffer(0).difference(box(X0 + D / 3, Y0 + D / 3, X0 + 2 * D / 3, Y0 + 2 * D / 3))
    enclave = box(X0 + D / 3, Y0 + D / 3, X0 + 2 * D / 3, Y0 + 2 * D / 3)
    parts = MultiPolygon([cell(1, 0), cell(5, 5)])
    g = build_adjacency(["h", "e", "m"], [holed, enclave, parts])
    assert g.contacts() == {("e", "h"): "edge", ("h", "e"): "edge", ("h", "m"): "edge", ("m", "h"): "edge"}


def test_tolerance_out_of_range_is_refused():
    with pytest.raises(ValueError):
        build_adjacency(["a"], [cell(0, 0)], tolerance_m=51)


def _postgis_graph(session, tolerance_m=1.0):
    """The graph as sql/013 builds it, in the test's (rolled back) transaction."""
    session.execute(text("SELECT refresh_grid_adjacency(:t)"), {"t": tolerance_m})
    rows = session.execute(text("SELECT grid_code, neighbour_code, contact, shared_m FROM grid_adjacency")).all()
    return {(r.grid_code, r.neighbour_code): (r.contact, r.shared_m) for r in rows}


def _db_grids(session):
    rows = session.execute(text("SELECT code, ST_AsBinary(geom) AS wkb FROM grids ORDER BY code")).all()
    return [r.code for r in rows], shapely.from_wkb([bytes(r.wkb) for r in rows])


@pytest.mark.parametrize("tolerance_m", [1.0, 0.0, 10.0])
def test_same_graph_as_postgis_on_the_demo_county(session, tolerance_m):
    # the demo county's grids are digitised shapes (not a lattice): every contact, its kind and its length
    expected = _postgis_graph(session, tolerance_m)
    codes, geoms = _db_grids(session)
    srid = session.execute(text("SELECT srid FROM grid_adjacency_state")).scalar_one()
    g = build_adjacency(codes, geoms, tolerance_m=tolerance_m)
    assert g.srid == srid
    assert g.contacts() == {k: v[0] for k, v in expected.items()}
    measured = dict(zip(zip(g.grid, g.neighbour), g.shared_m))
    assert max(abs(measured[k] - expected[k][1]) for k in measured) < 1e-6
    assert len(expected) > 1000


def test_same_neighbours_as_libpysal_queen_on_a_synthetic_layer(tmp_path):
    import libpysal  # the dev extra has it: make test installs it

    synthesize(tmp_path, grids=1500, seed=2)
    frame = gpd.read_file(tmp_path / "grids.geojson", engine="pyogrio")
    queen = libpysal.weights.Queen.from_dataframe(
        frame, ids=frame["code"].tolist(), use_index=False, silence_warnings=True
    )
    expected = {k: set(v) for k, v in queen.neighbors.items() if v}
    assert build_adjacency(frame["code"], frame.geometry).neighbours() == expected


# --- contiguity: the exact topological graph (Queen / Rook) --------------------------------------------


def test_contiguity_shared_edge_corner_and_nothing_else():
    c = contiguity(["00", "01", "11", "20"], [cell(0, 0), cell(0, 1), cell(1, 1), cell(2, 0)])
    assert list(zip(c.grid, c.neighbour, c.edge.tolist())) == [
        ("00", "01", True),
        ("00", "11", False),
        ("01", "11", True),
        ("11", "20", False),
    ]


def test_contiguity_has_no_tolerance():
    # a 0.5 m gap is no contact for it (the app's tolerant graph has one), nor a staggered edge: each one's
    # corner lies in the middle of the other's side, with no vertex in common
    gap = contiguity(["a", "b"], [cell(0, 0), cell(1, 0, 0.5 * M)])
    tee = contiguity(["a", "b"], [box(X0, Y0, X0 + 2 * D, Y0 + D), box(X0 + D, Y0 + D, X0 + 3 * D, Y0 + 2 * D)])
    assert len(gap.grid) == 0 and len(tee.grid) == 0
    assert len(build_adjacency(["a", "b"], [cell(0, 0), cell(1, 0, 0.5 * M)])) == 1


def test_contiguity_of_holes_enclaves_and_parts():
    holed = box(0, 0, 3, 3).difference(box(1, 1, 2, 2))
    parts = MultiPolygon([box(3, 0, 4, 3), box(9, 9, 10, 10)])  # its first part along h's whole east side
    c = contiguity(["h", "e", "m", "z"], [holed, box(1, 1, 2, 2), parts, box(-1, -1, 0, 0)])
    assert list(zip(c.grid, c.neighbour, c.edge.tolist())) == [("e", "h", True), ("h", "m", True), ("h", "z", False)]


def test_negative_zero_is_the_same_vertex():
    c = contiguity(["a", "b"], [box(-1, -1, -0.0, 0), box(0.0, 0, 1, 1)])
    assert c.edge.tolist() == [False] and c.grid.tolist() == ["a"]


def test_contiguity_equals_the_tolerant_graph_on_a_clean_lattice(tmp_path):
    # a clean layer (no gaps, no T-junctions): the same contacts and the same edges as sql/013's rule
    synthesize(tmp_path, grids=1200, seed=4)
    frame = gpd.read_file(tmp_path / "grids.geojson", engine="pyogrio")
    c, g = contiguity(frame["code"], frame.geometry), build_adjacency(frame["code"], frame.geometry)
    assert list(zip(c.grid, c.neighbour, c.edge.tolist())) == list(zip(g.grid, g.neighbour, g.edge.tolist()))


def test_contiguity_is_within_the_postgis_graph_of_the_demo_county(session):
    # every shared vertex is a contact of the tolerant PostGIS graph (which also has the contacts across
    # hairline gaps and staggered vertices, and calls a shared segment under 7 m a corner)
    expected = _postgis_graph(session)
    codes, geoms = _db_grids(session)
    c = contiguity(codes, geoms)
    assert len(c.grid) > 500
    assert set(zip(c.grid, c.neighbour)) <= set(expected)
    # and most shared segments are edges there too
    kinds = [expected[(a, b)][0] for a, b, e in zip(c.grid, c.neighbour, c.edge.tolist()) if e]
    assert kinds.count("edge") > 0.9 * len(kinds)


def test_contiguity_equals_libpysal_queen_and_rook(tmp_path):
    import libpysal  # the dev extra has it: make test installs it

    from gisapp.config import PROJECT_ROOT

    synthesize(tmp_path, grids=1500, seed=2)
    for path in (tmp_path / "grids.geojson", PROJECT_ROOT / "layers" / "demo" / "grids.geojson"):
        frame = gpd.read_file(path, engine="pyogrio")
        ids = frame["code"].tolist()
        queen = libpysal.weights.Queen.from_dataframe(frame, ids=ids, use_index=False, silence_warnings=True)
        rook = libpysal.weights.Rook.from_dataframe(frame, ids=ids, use_index=False, silence_warnings=True)
        c = contiguity(frame["code"], frame.geometry)
        assert c.neighbours() == {k: set(v) for k, v in queen.neighbors.items() if v}
        assert c.neighbours(edges_only=True) == {k: set(v) for k, v in rook.neighbors.items() if v}
