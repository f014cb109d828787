"""The shapes of grid changes and the proposed fixes, pure: each repair on a crafted layout."""

import pytest
import shapely

from gisapp.errors import ValidationFailed
from gisapp.spatial.grid_ops import merge, propose_fix, split
from gisapp.spatial.topology import area_m2, check_layout

C = "320102002001"
D = 0.003  # about 300 m: a grid of the crafted community
BOUNDARY = shapely.box(118.8, 32.0, 118.8 + 3 * D, 32.0 + D)


def cell(i, x0=0.0, x1=1.0):
    """The i-th of three grids side by side, optionally only part of it (x0..x1 of its width)."""
    return shapely.box(118.8 + (i + x0) * D, 32.0, 118.8 + (i + x1) * D, 32.0 + D)


def tiled(**override):
    grids = {f"{C}00{i + 1}": cell(i) for i in range(3)}
    grids.update(override)
    return grids


def test_split_keeps_the_larger_part_first_and_refuses_a_line_that_does_not_cross():
    big, small = split(cell(0), shapely.LineString([(118.8 + 0.7 * D, 31.9), (118.8 + 0.7 * D, 32.1)]))
    assert big.area > small.area and abs(big.area + small.area - cell(0).area) < 1e-15
    with pytest.raises(ValidationFailed) as err:
        split(cell(0), shapely.Point(118.8, 32.0))
    assert err.value.code == "invalid_split_line"


def test_merge_needs_a_shared_edge_not_a_corner():
    assert area_m2(merge(cell(0), cell(1))) == pytest.approx(area_m2(cell(0)) * 2, rel=1e-6)
    corner = shapely.box(118.8 + D, 32.0 + D, 118.8 + 2 * D, 32.0 + 2 * D)  # touches cell(0) at one point
    with pytest.raises(ValidationFailed) as err:
        merge(cell(0), corner)
    assert err.value.code == "grids_not_adjacent"


# each case: a broken layout, the repair expected, and nothing left afterwards
CASES = [
    # grid 1 grows over a tenth of grid 2: the overlap stays with the lower code, grid 2 gives it up
    ("overlap", tiled(**{f"{C}001": shapely.box(118.8, 32.0, 118.8 + 1.1 * D, 32.0 + D)}), ("overlap", f"{C}002")),
    # grid 1 shrinks: the gap goes to the grid sharing most of its edge (grid 1 itself)
    ("gap", tiled(**{f"{C}001": cell(0, 0.0, 0.9)}), ("gap", f"{C}001")),
    # grid 3 reaches out of the community: clipped
    (
        "outside",
        tiled(**{f"{C}003": shapely.box(118.8 + 2 * D, 32.0, 118.8 + 3.2 * D, 32.0 + D)}),
        ("outside_community", f"{C}003"),
    ),
    # a bow-tie: made valid (then its lost half is a gap, given back)
    (
        "invalid",
        tiled(
            **{f"{C}001": shapely.Polygon([(118.8, 32.0), (118.8 + D, 32.0 + D), (118.8 + D, 32.0), (118.8, 32.0 + D)])}
        ),
        ("invalid_geometry", f"{C}001"),
    ),
]


@pytest.mark.parametrize("name, grids, expected", CASES, ids=[c[0] for c in CASES])
def test_each_problem_gets_its_repair_and_nothing_is_left(name, grids, expected):
    assert check_layout(C, BOUNDARY, grids)  # broken as given
    fixed, fixes, remaining = propose_fix(C, BOUNDARY, grids)
    assert expected in [(f.check, f.grid) for f in fixes]
    assert remaining == [] and check_layout(C, BOUNDARY, fixed) == []


def test_a_sliver_is_merged_into_its_neighbour_and_retires():
    grids = {
        f"{C}001": cell(0, 0.0, 0.001),
        f"{C}002": shapely.union_all([cell(0, 0.001, 1.0), cell(1)]),
        f"{C}003": cell(2),
    }
    assert area_m2(grids[f"{C}001"]) < 500  # 0.3 m x 330 m
    fixed, fixes, remaining = propose_fix(C, BOUNDARY, grids)
    assert f"{C}001" not in fixed and ("sliver", f"{C}001") in [(f.check, f.grid) for f in fixes]
    assert remaining == []


def test_a_bad_code_is_not_guessed_at():
    grids = tiled()
    grids["x"] = grids.pop(f"{C}003")
    _, _, remaining = propose_fix(C, BOUNDARY, grids)
    assert [p.code for p in remaining] == ["bad_grid_code"]
