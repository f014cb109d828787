"""Lengths of lines inside convex polygons (numpy clipping) against GEOS, degenerate cases included."""

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon, box

from gisapp.spatial.clipping import convex_rings, lengths_inside


def geos(lines, polygons, line_of, polygon_of):
    return shapely.length(shapely.intersection(np.asarray(lines)[line_of], np.asarray(polygons)[polygon_of]))


def ours(lines, polygons, line_of, polygon_of):
    vertices, convex = convex_rings(np.asarray(polygons))
    assert convex[polygon_of].all()
    return lengths_inside(np.asarray(lines), vertices, np.asarray(line_of), np.asarray(polygon_of))


def test_random_segments_through_random_convex_polygons():
    rng = np.random.default_rng(8)
    # convex hulls of random points (counter-clockwise or not), buffers of rectangles, far from the origin
    polygons = [shapely.convex_hull(shapely.multipoints(rng.normal(0, 50, (12, 2)) + [5e5, 3.5e6])) for _ in range(40)]
    polygons += [
        shapely.buffer(box(5e5, 3.5e6, 5e5 + 300, 3.5e6 + 280), 1.0, quad_segs=2),
        shapely.reverse(box(5e5 - 60, 3.5e6 - 60, 5e5 + 60, 3.5e6 + 60)),
    ]
    lines = [
        MultiLineString([rng.normal(0, 80, (3, 2)) + [5e5, 3.5e6], rng.normal(0, 80, (2, 2)) + [5e5, 3.5e6]])
        for _ in range(60)
    ]
    line_of, polygon_of = rng.integers(0, 60, 3000), rng.integers(0, len(polygons), 3000)
    expected = geos(lines, polygons, line_of, polygon_of)
    assert (expected > 0).sum() > 1000
    assert np.abs(ours(lines, polygons, line_of, polygon_of) - expected).max() < 1e-6


def test_lines_along_the_boundary_count_inside():
    square = box(0, 0, 10, 10)
    lines = [
        LineString([(0, 2), (0, 8)]),  # along an edge
        LineString([(-5, 10), (15, 10)]),  # along the top edge and beyond it
        LineString([(10, 10), (12, 12)]),  # touches a corner only
        LineString([(10.0000001, 0), (10.0000001, 10)]),
    ]  # parallel, just outside
    got = ours(lines, [square], [0, 1, 2, 3], [0, 0, 0, 0])
    assert np.allclose(got, [6, 10, 0, 0], atol=1e-9)


def test_non_convex_polygons_holes_and_multipolygons_are_left_to_geos():
    notch = Polygon([(0, 0), (4, 0), (4, 4), (2, 1), (0, 4)])
    holed = box(0, 0, 4, 4).difference(box(1, 1, 2, 2))
    parts = shapely.MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)])
    collinear = Polygon([(0, 0), (2, 0), (4, 0), (4, 4), (0, 4)])  # a vertex in the middle of a side: convex
    _, convex = convex_rings(np.array([notch, holed, parts, collinear]))
    assert convex.tolist() == [False, False, False, True]
