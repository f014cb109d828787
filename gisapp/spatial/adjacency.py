"""The grid adjacency graph built in process, by the rule of sql/013_grid_adjacency.sql.

The same rule, in metres, in the CGCS2000 3-degree Gauss-Kruger zone of the grids' centre:
two grids are in contact when they come within `tolerance_m` of each other; `shared_m` is the
length of the lower code's boundary within the other grid grown by the tolerance (buffer with
quad_segs=2, as the SQL); the contact is an 'edge' when shared_m > 5 m + 2 x tolerance_m, else
a 'corner'. Vectorised shapely 2 (GEOS, the library PostGIS uses): one STRtree `dwithin` query
for the pairs, one `intersection` over all pairs for the shared lengths; pyproj projects every
coordinate in one call.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pyproj
import shapely

EDGE_MIN_M = 5.0  # a shared stretch longer than this (plus the tolerance at both ends) is an edge


def metric_srid(geoms: np.ndarray) -> int:
    """The Gauss-Kruger zone (EPSG:4534..4554, CM 75E..135E) of the centre of the grids' extent.

    >>> from shapely.geometry import box
    >>> metric_srid(np.array([box(118.9, 31.9, 119.1, 32.1)])), metric_srid(np.array([box(10, 0, 11, 1)]))
    (4549, 4534)
    """
    minx, _, maxx, _ = shapely.total_bounds(geoms)
    zone = np.floor(((minx + maxx) / 2 - 75) / 3 + 0.5)  # round half up, as PostgreSQL's round()
    return 4534 + int(min(20, max(0, zone)))


def project(geoms: np.ndarray, srid: int) -> np.ndarray:
    """WGS84 / CGCS2000 geometries in the given metric CRS, every coordinate in one pyproj call."""
    to_metric = pyproj.Transformer.from_crs(4326, srid, always_xy=True)

    def forward(coords: np.ndarray) -> np.ndarray:
        x, y = to_metric.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, forward)


@dataclass(frozen=True)
class Adjacency:
    """Every contact once (grid < neighbour by code), with its measure and kind."""

    grid: np.ndarray        # codes (object array)
    neighbour: np.ndarray
    shared_m: np.ndarray
    edge: np.ndarray        # bool: 'edge' (True) or 'corner'
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


def build_adjacency(codes: Sequence[str], geoms: Iterable, *, tolerance_m: float = 1.0,
                    srid: int | None = None) -> Adjacency:
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
    codes = np.asarray(list(codes), dtype=object)
    geoms = np.asarray(list(geoms), dtype=object)
    order = np.argsort(codes, kind="stable")
    codes, geoms = codes[order], geoms[order]
    if len(codes) == 0:
        empty = np.zeros(0, dtype=object)
        return Adjacency(empty, empty, np.zeros(0), np.zeros(0, dtype=bool), None, tolerance_m)
    srid = srid or metric_srid(geoms)
    metric = project(geoms, srid)
    a, b = shapely.STRtree(metric).query(metric, predicate="dwithin", distance=tolerance_m)
    lower = a < b  # positions follow code order: each pair once, the lower code first
    a, b = a[lower], b[lower]
    shared = _shared_lengths(metric, a, b, tolerance_m)
    pair = np.lexsort((b, a))
    a, b, shared = a[pair], b[pair], shared[pair]
    return Adjacency(codes[a], codes[b], shared, shared > EDGE_MIN_M + 2 * tolerance_m, srid, tolerance_m)


def _shared_lengths(metric: np.ndarray, a: np.ndarray, b: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Length of grid a's boundary within grid b grown by the tolerance, for every pair (a, b)."""
    involved = np.unique(np.concatenate([a, b]))
    outline = np.empty(len(metric), dtype=object)
    reach = np.empty(len(metric), dtype=object)
    outline[involved] = shapely.boundary(metric[involved])
    reach[involved] = shapely.buffer(metric[involved], tolerance_m, quad_segs=2)
    return shapely.length(shapely.intersection(outline[a], reach[b]))
