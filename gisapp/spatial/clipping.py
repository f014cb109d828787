"""Length of lines inside convex polygons, many pairs at once (numpy Cyrus-Beck clipping).

What `shapely.length(shapely.intersection(lines, polygons))` gives, boundary included, for the
pairs whose polygon is convex, without one GEOS overlay per pair (about 7 µs each): each segment of
a line is clipped against the half-planes of the polygon's edges, all segments of all pairs in one
vectorised pass. Non-convex polygons are left to GEOS by the caller (`convex_rings` says which).
"""

from __future__ import annotations

import numpy as np
import shapely

MAX_VERTICES = 48  # rings with more vertices go to GEOS (the padded arrays would grow for few rings)
CHUNK_ROWS = 65_536  # segment-polygon rows per pass: bounded memory (rows x vertices x 2 floats)
# a segment along an edge (parallel within PARALLEL rad) and this close outside it lies on it: GEOS includes the
# boundary, and projected coordinates (millions of metres) carry about 1e-9 m of rounding
ON_EDGE_M = 1e-7
PARALLEL = 1e-9


def convex_rings(polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Padded counter-clockwise vertex arrays (n, k, 2) of the convex polygons, and which ones are.

    >>> from shapely.geometry import box, Polygon
    >>> v, ok = convex_rings(np.array([box(0, 0, 1, 1), Polygon([(0, 0), (2, 0), (1, 0.2), (1, 2)])]))
    >>> ok.tolist(), v.shape[0]
    ([True, False], 2)
    """
    simple = (shapely.get_type_id(polygons) == 3) & (shapely.get_num_interior_rings(polygons) == 0)
    rings = shapely.get_exterior_ring(np.where(simple, polygons, np.array(None, dtype=object)))
    coords, owner = shapely.get_coordinates(rings, return_index=True)
    count = np.bincount(owner, minlength=len(polygons))
    simple &= (count >= 4) & (count <= MAX_VERTICES)
    count = np.where(simple, count, 0)  # the others are not looked at
    k = int(count[simple].max()) if simple.any() else 4
    first = np.cumsum(np.bincount(owner, minlength=len(polygons))) - np.bincount(owner, minlength=len(polygons))
    slot = np.minimum(np.arange(k)[None, :], np.maximum(count, 1)[:, None] - 1)  # pad with the closing vertex
    vertices = np.zeros((len(polygons), k, 2))
    rows = np.flatnonzero(count > 0)
    vertices[rows] = coords[(first[rows, None] + slot[rows])]
    edge = np.diff(vertices, axis=1)  # padded edges have length 0
    real = np.maximum(count - 1, 1)[:, None]
    index = np.arange(k - 1)[None, :]
    following = np.where(index < real, (index + 1) % real, index)  # the next edge, around the ring
    after = np.take_along_axis(edge, following[..., None], axis=1)
    turn = edge[..., 0] * after[..., 1] - edge[..., 1] * after[..., 0]
    area2 = (vertices[:, :-1, 0] * vertices[:, 1:, 1] - vertices[:, 1:, 0] * vertices[:, :-1, 1]).sum(axis=1)
    # a turn this small against the edges' lengths is a collinear vertex (an angle under 1e-9 rad)
    slack = 1e-9 * np.hypot(edge[..., 0], edge[..., 1]) * np.hypot(after[..., 0], after[..., 1])
    ccw = area2 > 0
    convex = np.where(ccw, (turn >= -slack).all(axis=1), (turn <= slack).all(axis=1))
    vertices[~ccw] = vertices[~ccw, ::-1]
    return vertices, simple & convex & (area2 != 0)


def segments(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every segment of every (multi)line: start points, end points, and the index of its line."""
    parts, part_of = shapely.get_parts(lines, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    along = part[1:] == part[:-1]
    return coords[:-1][along], coords[1:][along], part_of[part[:-1][along]]


def _clip(p0: np.ndarray, p1: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """Length of each segment p0 -> p1 inside its convex counter-clockwise polygon (rows aligned)."""
    d = p1 - p0
    edge = np.diff(vertices, axis=1)  # (rows, k - 1, 2)
    length = np.hypot(edge[..., 0], edge[..., 1])
    unit = np.divide(edge, length[..., None], out=np.zeros_like(edge), where=length[..., None] > 0)
    normal = np.stack([unit[..., 1], -unit[..., 0]], axis=-1)  # outward for a counter-clockwise ring
    offset = np.einsum("rkc,rkc->rk", normal, p0[:, None, :] - vertices[:, :-1, :])
    rate = np.einsum("rkc,rc->rk", normal, d)
    along = np.abs(rate) <= PARALLEL * np.hypot(d[:, 0], d[:, 1])[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -offset / rate
    lower = np.where(~along & (rate < 0), t, -np.inf).max(axis=1, initial=0.0)
    upper = np.where(~along & (rate > 0), t, np.inf).min(axis=1, initial=1.0)
    outside = (along & (offset > ON_EDGE_M)).any(axis=1)  # parallel to an edge, beyond it
    inside = np.clip(upper, 0, 1) - np.clip(lower, 0, 1)
    return np.where(outside, 0.0, np.maximum(inside, 0.0)) * np.hypot(d[:, 0], d[:, 1])


def lengths_inside(lines: np.ndarray, vertices: np.ndarray, line_of: np.ndarray, polygon_of: np.ndarray) -> np.ndarray:
    """For each pair i: the length of lines[line_of[i]] inside the convex polygon vertices[polygon_of[i]].

    >>> from shapely.geometry import LineString, box
    >>> v, _ = convex_rings(np.array([box(0, 0, 2, 2)]))
    >>> lengths_inside(np.array([LineString([(-1, 1), (3, 1)]), LineString([(0, 0), (0, 5)])]), v,
    ...                np.array([0, 1]), np.array([0, 0])).round(9).tolist()
    [2.0, 2.0]
    """
    start, end, owner = segments(lines)
    first = np.searchsorted(owner, np.arange(len(lines)))
    count = np.bincount(owner, minlength=len(lines))
    per_pair = count[line_of]
    pair = np.repeat(np.arange(len(line_of)), per_pair)
    seg = np.repeat(first[line_of] - (np.cumsum(per_pair) - per_pair), per_pair) + np.arange(len(pair))
    box_lo, box_hi = vertices.min(axis=1), vertices.max(axis=1)
    poly = polygon_of[pair]
    near = (
        (np.minimum(start[seg], end[seg]) <= box_hi[poly]) & (np.maximum(start[seg], end[seg]) >= box_lo[poly])
    ).all(axis=1)
    pair, seg, poly = pair[near], seg[near], poly[near]
    total = np.zeros(len(line_of))
    for lo in range(0, len(pair), CHUNK_ROWS):
        rows = slice(lo, lo + CHUNK_ROWS)
        got = _clip(start[seg[rows]], end[seg[rows]], vertices[poly[rows]])
        total += np.bincount(pair[rows], weights=got, minlength=len(line_of))
    return total
