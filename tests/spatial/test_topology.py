"""Topology checks of a community's grids, each failure with a crafted geometry."""

import shapely

from gisapp.spatial.topology import area_m2, check_layout

C = "320102002001"  # a community code
BOUNDARY = shapely.box(118.80, 32.05, 118.81, 32.06)
WEST = shapely.box(118.80, 32.05, 118.805, 32.06)
EAST = shapely.box(118.805, 32.05, 118.81, 32.06)


def codes(problems):
    return sorted((p.code, p.grid) for p in problems)


def test_a_clean_tiling_passes():
    assert check_layout(C, BOUNDARY, {C + "001": WEST, C + "002": EAST}) == []


def test_a_self_intersecting_polygon_is_reported_with_its_location():
    bowtie = shapely.Polygon([(118.80, 32.05), (118.81, 32.06), (118.81, 32.05), (118.80, 32.06)])
    (problem,) = [p for p in check_layout(C, BOUNDARY, {C + "001": bowtie}) if p.code == "invalid_geometry"]
    assert "Self-intersection" in problem.message
    assert problem.where.distance(shapely.Point(118.805, 32.055)) < 1e-9


def test_overlap_gap_and_outside_are_found_with_their_geometry():
    wide_west = shapely.box(118.80, 32.05, 118.806, 32.06)  # 0.001° into EAST
    problems = check_layout(C, BOUNDARY, {C + "001": wide_west, C + "002": EAST})
    (overlap,) = [p for p in problems if p.code == "overlap"]
    assert abs(area_m2(overlap.where) - area_m2(shapely.box(118.805, 32.05, 118.806, 32.06))) < 1
    short_east = shapely.box(118.806, 32.05, 118.81, 32.06)  # leaves a strip unassigned
    (gap,) = [p for p in check_layout(C, BOUNDARY, {C + "001": WEST, C + "002": short_east}) if p.code == "gap"]
    assert gap.grid is None and gap.where.bounds[0] == 118.805
    beyond = shapely.box(118.805, 32.05, 118.82, 32.06)
    assert ("outside_community", C + "002") in codes(check_layout(C, BOUNDARY, {C + "001": WEST, C + "002": beyond}))


def test_slivers_and_bad_codes():
    sliver = shapely.box(118.80, 32.05, 118.8001, 32.0501)  # ~100 m²
    rest = BOUNDARY.difference(sliver)
    found = codes(check_layout(C, BOUNDARY, {C + "001": rest, C + "002": sliver}))
    assert ("sliver", C + "002") in found
    assert ("bad_grid_code", "3201020020019") in codes(check_layout(C, BOUNDARY, {"3201020020019": BOUNDARY}))
    assert ("bad_grid_code", "320102003001001") in codes(check_layout(C, BOUNDARY, {"320102003001001": BOUNDARY}))


def test_rounding_below_the_tolerance_is_not_a_problem():
    nudged = shapely.box(118.80, 32.05, 118.805000001, 32.06)  # 0.1 mm wide over 1.1 km: ~0.1 m²
    assert check_layout(C, BOUNDARY, {C + "001": nudged, C + "002": EAST}) == []
