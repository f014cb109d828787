"""Gi* hot spots on a hand-made 9 x 9 lattice whose contacts come from the app's own adjacency builder."""

import math

import numpy as np
import pytest
from shapely.geometry import box

from gisapp.spatial.adjacency import build_adjacency
from gisapp.spatial.hotspots import classify, contiguity_matrix, getis_ord_star, weights

D = 0.003  # about 280 x 330 m at 32N
X0, Y0 = 119.0, 32.0
SIDE = 9


def code(i: int, j: int) -> str:
    return f"32010200100{i}{j:03d}"  # 15 digits, column-major: sorted codes run down the columns


@pytest.fixture(scope="module")
def lattice():
    """The codes and the adjacency pairs (edge or corner, as sql/013 builds them) of a 9 x 9 lattice."""
    cells = {
        code(i, j): box(X0 + i * D, Y0 + j * D, X0 + (i + 1) * D, Y0 + (j + 1) * D)
        for i in range(SIDE)
        for j in range(SIDE)
    }
    codes = sorted(cells)
    graph = build_adjacency(codes, [cells[c] for c in codes])
    return codes, list(zip(graph.grid.tolist(), graph.neighbour.tolist()))


def counts_with_cluster(
    codes, hot=((1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (2, 3), (3, 2), (3, 3)), level=12, background=1
):
    """A 3 x 3 block of busy grids in the south-west (columns and rows 1-3), one event elsewhere."""
    busy = {code(i, j) for i, j in hot}
    return [level if c in busy else background for c in codes]


def test_the_centre_of_a_busy_block_is_a_99_percent_hot_spot(lattice):
    codes, pairs = lattice
    result = getis_ord_star(codes, counts_with_cluster(codes), pairs)
    by_code = dict(zip(result.codes, result.classes))
    assert by_code[code(2, 2)] == "hot_99"
    # every grid of the block and its ring is hot at some level; the far corner is not
    assert all(by_code[code(i, j)].startswith("hot_") for i in range(1, 4) for j in range(1, 4))
    assert by_code[code(8, 8)] == "not_significant"
    assert not any(k.startswith("cold") for k in result.classes)


def test_an_empty_block_in_a_busy_county_is_a_cold_spot(lattice):
    codes, pairs = lattice
    result = getis_ord_star(codes, counts_with_cluster(codes, level=0, background=6), pairs)
    by_code = dict(zip(result.codes, result.classes))
    assert by_code[code(2, 2)] == "cold_99"
    assert all(not k.startswith("hot") for k in result.classes)


def test_the_z_score_is_getis_and_ords_gi_star_with_binary_weights(lattice):
    # the formula of Getis & Ord (1995) by hand for the block's centre: neighbours and itself weigh 1
    codes, pairs = lattice
    y = np.array(counts_with_cluster(codes), dtype=float)
    n, i = len(y), codes.index(code(2, 2))
    w = contiguity_matrix(codes, pairs).toarray()[i]
    mean, s = y.mean(), math.sqrt((y**2).mean() - y.mean() ** 2)
    expected = (w @ y - mean * w.sum()) / (s * math.sqrt((n * (w**2).sum() - w.sum() ** 2) / (n - 1)))
    result = getis_ord_star(codes, y, pairs)
    assert result.z[i] == pytest.approx(expected, rel=1e-9)
    assert result.p[i] == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(expected / math.sqrt(2)))), rel=1e-6)


def test_without_events_nothing_is_significant(lattice):
    codes, pairs = lattice
    result = getis_ord_star(codes, [0] * len(codes), pairs)
    assert set(result.classes) == {"not_significant"}
    assert result.z.tolist() == [0.0] * len(codes) and result.p.tolist() == [1.0] * len(codes)


def test_the_answer_is_the_same_every_time_and_whatever_the_direction_of_the_pairs(lattice):
    codes, pairs = lattice
    counts = counts_with_cluster(codes)
    one_way = getis_ord_star(codes, counts, pairs)
    both_ways = getis_ord_star(codes, counts, pairs + [(b, a) for a, b in pairs])
    assert one_way.rows() == getis_ord_star(codes, counts, pairs).rows() == both_ways.rows()


def test_neighbours_outside_the_area_are_left_out(lattice):
    codes, pairs = lattice
    counts = counts_with_cluster(codes)
    with_outsiders = pairs + [(codes[0], "320102999999999"), ("320102999999999", codes[1])]
    assert getis_ord_star(codes, counts, with_outsiders).rows() == getis_ord_star(codes, counts, pairs).rows()


def test_the_weights_hold_each_grid_as_its_own_neighbour(lattice):
    codes, pairs = lattice
    w = weights(codes, pairs)
    assert code(2, 2) in w.neighbors[code(2, 2)]
    assert w.cardinalities[code(2, 2)] == 9 and w.cardinalities[code(0, 0)] == 4  # queen ring + itself


def test_a_grid_without_neighbours_still_gets_a_z_score():
    # an island: its own count is its local sum
    codes = ["a", "b", "c", "d", "e"]
    result = getis_ord_star(codes, [9, 0, 1, 0, 1], [("b", "c"), ("c", "d"), ("d", "e")])
    assert result.z[0] > 0 and math.isfinite(result.z[0])


def test_one_count_per_code_is_required():
    with pytest.raises(ValueError):
        getis_ord_star(["a", "b"], [1], [])


@pytest.mark.parametrize(
    "z, p, expected",
    [
        (2.6, 0.0093, "hot_99"),
        # exactly at the threshold: not below it, so the next level
        (2.5758, 0.01, "hot_95"),
        (-1.97, 0.0488, "cold_95"),
        (-1.7, 0.0891, "cold_90"),
        # just above 10 %: not significant
        (1.64, 0.101, "not_significant"),
        # an infinite z (a grid neighbouring all others) is not taken as a finding
        (float("inf"), 0.0, "not_significant"),
    ],
)
def test_classes_follow_the_two_sided_p_value_and_the_sign(z, p, expected):
    assert classify(z, p) == expected
