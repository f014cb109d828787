"""The grid adjacency graph built in process, by the rule of sql/013_grid_adjacency.sql.

The same rule, in metres, in the CGCS2000 3-degree Gauss-Kruger zone of the grids' centre:
two grids are in contact when they come within `tolerance_m` of each other; `shared_m` is the
length of the lower code's boundary within the other grid grown by the tolerance (buffer with
quad_segs=2, as the SQL); the contact is an 'edge' when shared_m > 5 m + 2 x tolerance_m, else
a 'corner'. Vectorised shapely 2 (GEOS, the library PostGIS uses): one STRtree `dwithin` query
for the pairs, one `intersection` over all pairs for the shared lengths; pyproj projects every
coordinate in one call.

Also here: `contiguity`, the exact topological graph of a clean layer (grids sharing a vertex, and
whether they share a whole segment: Queen and Rook contiguity), from coordinates alone with numpy
sorting. It has no tolerance, so a hairline gap or a vertex lying on a neighbour's edge (a
T-junction) is no contact for it; the app's graph is the tolerant one above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import shapely

from gisapp.spatial.clipping import convex_rings, lengths_inside
from gisapp.spatial.crs import gauss_kruger_srid, xy_from_wgs84

EDGE_MIN_M = 5.0  # a shared stretch longer than this (plus the tolerance at both ends) is an edge


def metric_srid(geoms: np.ndarray) -> int:
    """The Gauss-Kruger zone (EPSG:4534..4554, CM 75E..135E) of the centre of the grids' extent.

    >>> from shapely.geometry import box
    >>> metric_srid(np.array([box(118.9, 31.9, 119.1, 32.1)])), metric_srid(np.array([box(10, 0, 11, 1)]))
    (4549, 4534)
    """
    minx, _, maxx, _ = shapely.total_bounds(geoms)
    return gauss_kruger_srid(float((minx + maxx) / 2))


def project(geoms: np.ndarray, srid: int) -> np.ndarray:
    """WGS84 / CGCS2000 geometries in the given metric CRS, every coordinate in one pyproj call."""
    return shapely.transform(geoms, xy_from_wgs84(f"EPSG:{srid}"))


@dataclass(frozen=True)
class Adjacency:
    """Every contact once (grid < neighbour by code), with its measure and kind."""

    grid: np.ndarray  # codes (object array)
    neighbour: np.ndarray
    shared_m: np.ndarray
    edge: np.ndarray  # bool: 'edge' (True) or 'corner'
    srid: int | None
    tolerance_m: float

    def __len__(self) -> int:
        return len(self.grid)

    def contacts(self) -> dict[tuple[str, str], str]:
        """{(grid, neighbour): 'edge' | 'corner'} in both directions, as the grid_adjacency table."""
        kinds = np.where(self.edge, "edge", "corner").tolist()
        a, b = self.grid.tolist(), self.neighbour.tolist()
        return {**dict(zip(zip(a, b), kinds)), **dict(zip(zip(b, a), kinds))}

    def neighbours(self) -> dict[str, set[str]]:
        """Each grid's neighbours (edge or corner), grids without any left out."""
        out: dict[str, set[str]] = {}
        for a, b in zip(self.grid.tolist(), self.neighbour.tolist()):
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)
        return out


def build_adjacency(
    codes: Sequence[str], geoms: Iterable, *, tolerance_m: float = 1.0, srid: int | None = None
) -> Adjacency:
    """All contacts between the grids (WGS84 polygons), measured as sql/013 does.

    >>> from shapely.geometry import box
    >>> d = 0.003  # about 300 m
    >>> g = build_adjacency(["b", "a", "c"], [box(119, 32, 119 + d, 32 + d), box(119 + d, 32, 119 + 2 * d, 32 + d),
    ...                                      box(119 + 2 * d, 32 + d, 119 + 3 * d, 32 + 2 * d)])
    >>> g.contacts()[("a", "b")], g.contacts()[("a", "c")], ("b", "c") in g.contacts()
    ('edge', 'corner', False)
    """
    if not 0 <= tolerance_m <= 50:
        raise ValueError("tolerance_m must be between 0 and 50 metres")
    code_array, geom_array = _object_array(codes), _object_array(geoms)
    order = np.argsort(code_array, kind="stable")
    code_array, geom_array = code_array[order], geom_array[order]
    if len(code_array) == 0:
        empty = np.zeros(0, dtype=object)
        return Adjacency(empty, empty, np.zeros(0), np.zeros(0, dtype=bool), None, tolerance_m)
    srid = srid or metric_srid(geom_array)
    metric = project(geom_array, srid)
    a, b = shapely.STRtree(metric).query(metric, predicate="dwithin", distance=tolerance_m)
    lower = a < b  # positions follow code order: each pair once, the lower code first
    a, b = a[lower], b[lower]
    shared = _shared_lengths(metric, a, b, tolerance_m)
    pair = np.lexsort((b, a))
    a, b, shared = a[pair], b[pair], shared[pair]
    return Adjacency(code_array[a], code_array[b], shared, shared > EDGE_MIN_M + 2 * tolerance_m, srid, tolerance_m)


def _shared_lengths(
    metric: np.ndarray, a: np.ndarray, b: np.ndarray, tolerance_m: float, *, clip_convex: bool = True
) -> np.ndarray:
    """Length of grid a's boundary within grid b grown by the tolerance, for every pair (a, b).

    Where b's reach is convex (most grids), the boundary is clipped against it in numpy
    (gisapp.spatial.clipping, the same length to 1e-9 m); elsewhere one GEOS intersection per pair."""
    involved = np.flatnonzero(np.bincount(np.concatenate([a, b]), minlength=len(metric)))
    outline = np.empty(len(metric), dtype=object)
    reach = np.empty(len(metric), dtype=object)
    outline[involved] = shapely.boundary(metric[involved])
    reach[involved] = shapely.buffer(metric[involved], tolerance_m, quad_segs=2)
    shared = np.empty(len(a))
    convex = np.zeros(len(metric), dtype=bool)
    if clip_convex:
        vertices, convex_involved = convex_rings(reach[involved])
        convex[involved] = convex_involved
        slot = np.full(len(metric), -1)
        slot[involved] = np.arange(len(involved))
    fast = convex[b]
    if fast.any():
        lines = np.flatnonzero(np.bincount(a[fast], minlength=len(metric)))
        line_slot = np.searchsorted(lines, a[fast])
        shared[fast] = lengths_inside(outline[lines], vertices, line_slot, slot[b[fast]])
    slow = ~fast
    shared[slow] = shapely.length(shapely.intersection(outline[a[slow]], reach[b[slow]]))
    return shared


@dataclass(frozen=True)
class Contiguity:
    """Pairs of grids sharing at least a vertex (grid < neighbour by code); edge: they share a segment."""

    grid: np.ndarray
    neighbour: np.ndarray
    edge: np.ndarray

    def neighbours(self, *, edges_only: bool = False) -> dict[str, set[str]]:
        """Each grid's neighbours (Queen; Rook with edges_only), grids without any left out."""
        out: dict[str, set[str]] = {}
        for a, b, e in zip(self.grid.tolist(), self.neighbour.tolist(), self.edge.tolist()):
            if e or not edges_only:
                out.setdefault(a, set()).add(b)
                out.setdefault(b, set()).add(a)
        return out


def _pairs_sharing(key: np.ndarray, owner: np.ndarray, n_owners: int) -> np.ndarray:
    """Unique owner pairs (lower, higher) that share an integer key, as lower * n_owners + higher."""
    order = np.lexsort((owner, key))
    key, owner = key[order], owner[order]
    same_key = np.r_[False, key[1:] == key[:-1]]
    keep = ~(same_key & np.r_[False, owner[1:] == owner[:-1]])  # one entry per (key, owner)
    key, owner = key[keep], owner[keep]
    found = []
    for offset in range(1, len(key)):  # as many rounds as the largest group has members
        same = key[offset:] == key[:-offset]
        if not same.any():
            break
        found.append(owner[:-offset][same] * n_owners + owner[offset:][same])  # owners sorted: lower first
    return _sorted_unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (faster here than numpy's hash-based unique)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _object_array(values) -> np.ndarray:
    """An object array of codes or geometries without iterating pandas or geopandas arrays in Python."""
    if hasattr(values, "__array__") or isinstance(values, np.ndarray):
        return np.asarray(values, dtype=object)
    return np.asarray(list(values), dtype=object)


def contiguity(codes: Sequence[str], geoms: Iterable) -> Contiguity:
    """Queen contiguity (a shared vertex) and Rook (a shared segment) of polygons, exact coordinates.

    >>> from shapely.geometry import box
    >>> c = contiguity(["a", "b", "c", "d"], [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 1, 3, 2), box(5, 5, 6, 6)])
    >>> list(zip(c.grid, c.neighbour, c.edge.tolist()))
    [('a', 'b', True), ('b', 'c', False)]
    """
    code_array, geom_array = _object_array(codes), _object_array(geoms)
    order = np.argsort(code_array, kind="stable")
    code_array, geom_array = code_array[order], geom_array[order]
    parts, part_owner = shapely.get_parts(geom_array, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    owner = part_owner[ring_part[ring]].astype(np.int64)
    n = len(code_array)
    # a vertex is its exact coordinates (+ 0.0 makes -0.0 and 0.0 one value)
    z = (coords[:, 0] + 0.0) + 1j * (coords[:, 1] + 0.0)
    by_place = np.argsort(z, kind="stable")  # complex numbers sort by x, then y
    new_place = np.r_[True, z[by_place][1:] != z[by_place][:-1]]
    vertex = np.empty(len(z), dtype=np.int64)
    vertex[by_place] = np.cumsum(new_place) - 1
    queen = _pairs_sharing(vertex, owner, n)
    along = ring[1:] == ring[:-1]  # consecutive coordinates of one ring: a segment, keyed by its two vertices
    a, b = vertex[:-1][along], vertex[1:][along]
    segment = np.minimum(a, b) * (int(vertex.max()) + 1) + np.maximum(a, b)
    rook = _pairs_sharing(segment, owner[:-1][along], n)
    return Contiguity(code_array[queen // n], code_array[queen % n], np.isin(queen, rook))
