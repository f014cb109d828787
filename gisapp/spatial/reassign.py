"""Bulk point-to-grid assignment: many points at once, with the platform's shared-edge rule.

A point covered by several grids (on a shared edge or vertex) goes to the lowest code, as in
gisapp.services.jurisdiction.geocode and gisapp.spatial.grid_index. Grids are kept sorted by code, so "lowest
code" is "lowest position" and the rule is a vectorised minimum.

How (no Python loop per point): the grids' bounding boxes are bucketed once into a uniform lattice
of cells about one grid wide (numpy, CSR arrays). A point's cell gives its candidate grids; the
bounding-box test, exact in floating point, removes most of them. Grids that are axis-aligned
rectangles (every vertex on a corner of the bounding box, all four corners, valid) are decided by
that test alone, which is exactly shapely's `covers` for them; the others go through
`shapely.intersects_xy` on prepared geometries (GEOS, boundary included, as PostGIS ST_Covers).
Points are never turned into shapely objects. Cells and points are placed with the same monotone
floating-point formula, so a point on a grid's edge always falls in a cell the grid is listed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import shapely

# at most this many cell entries per grid on average: huge grids among small ones make cells coarser
# (more candidates per point, bounded memory)
_MAX_ENTRIES_PER_GRID = 16


@dataclass(frozen=True)
class _Cells:
    """A uniform lattice of cells over the grids' extent, and the grids listed in each cell (CSR)."""

    x0: float
    y0: float
    width: float
    height: float
    nx: int
    ny: int
    start: np.ndarray  # grids of cell c: members[start[c]:start[c + 1]]
    members: np.ndarray


def _cell_ranges(bounds: np.ndarray, x0: float, y0: float, w: float, h: float, nx: int, ny: int):
    """First and last cell column and row of each bounding box."""
    cx0 = np.clip(np.floor((bounds[:, 0] - x0) / w), 0, nx - 1).astype(np.int64)
    cx1 = np.clip(np.floor((bounds[:, 2] - x0) / w), 0, nx - 1).astype(np.int64)
    cy0 = np.clip(np.floor((bounds[:, 1] - y0) / h), 0, ny - 1).astype(np.int64)
    cy1 = np.clip(np.floor((bounds[:, 3] - y0) / h), 0, ny - 1).astype(np.int64)
    return cx0, cx1, cy0, cy1


def _bucket(bounds: np.ndarray) -> _Cells:
    """Bucket the bounding boxes into cells the size of a median grid (coarser if that lists too many)."""
    x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
    span_x, span_y = float(bounds[:, 2].max()) - x0, float(bounds[:, 3].max()) - y0
    w = float(np.median(bounds[:, 2] - bounds[:, 0])) or span_x or 1.0
    h = float(np.median(bounds[:, 3] - bounds[:, 1])) or span_y or 1.0
    n = len(bounds)
    while True:
        nx, ny = int(span_x / w) + 1, int(span_y / h) + 1
        if nx * ny <= 4 * n + 1024:  # sparse layouts (few grids far apart) get coarser cells too
            cx0, cx1, cy0, cy1 = _cell_ranges(bounds, x0, y0, w, h, nx, ny)
            kx, ky = cx1 - cx0 + 1, cy1 - cy0 + 1
            per_grid = kx * ky
            if per_grid.sum() <= _MAX_ENTRIES_PER_GRID * n or (nx == 1 and ny == 1):
                break
        w, h = w * 2, h * 2
    grid = np.repeat(np.arange(len(bounds)), per_grid)
    k = np.arange(len(grid)) - np.repeat(np.cumsum(per_grid) - per_grid, per_grid)
    cells = (cy0[grid] + k // kx[grid]) * nx + cx0[grid] + k % kx[grid]
    order = np.argsort(cells, kind="stable")
    start = np.searchsorted(cells[order], np.arange(nx * ny + 1))
    return _Cells(x0, y0, w, h, nx, ny, start, grid[order].astype(np.int32))


def rectangles(geoms: np.ndarray) -> np.ndarray:
    """Which geometries are axis-aligned rectangles (so their bounding box test is exact).

    >>> from shapely.geometry import box, Polygon, MultiPolygon
    >>> rectangles(np.array([box(0, 0, 1, 1), Polygon([(0, 0), (1, 0), (0, 1)]),
    ...                      MultiPolygon([box(0, 0, 1, 1)]), box(0, 0, 2, 2).difference(box(1, 1, 3, 3))]))
    array([ True, False,  True, False])
    """
    parts = np.where(shapely.get_type_id(geoms) == 6, shapely.get_geometry(geoms, 0), geoms)
    single = (shapely.get_num_geometries(geoms) == 1) & (shapely.get_type_id(parts) == 3)
    single &= shapely.get_num_interior_rings(parts) == 0
    coords, owner = shapely.get_coordinates(parts, return_index=True)
    b = shapely.bounds(parts)[owner]
    on_x = (coords[:, 0] == b[:, 0]) | (coords[:, 0] == b[:, 2])
    on_y = (coords[:, 1] == b[:, 1]) | (coords[:, 1] == b[:, 3])
    off_corner = np.bincount(owner, weights=~(on_x & on_y), minlength=len(geoms)) > 0
    corner = (1 << ((coords[:, 0] == b[:, 2]) * 2 + (coords[:, 1] == b[:, 3]))).astype(np.int64)
    seen = np.zeros(len(geoms), dtype=np.int64)
    np.bitwise_or.at(seen, owner, corner)
    return single & ~off_corner & (seen == 15) & shapely.is_valid(parts)


class PointAssigner:
    """Grids sorted by code, bucketed for bulk look-ups of the grid covering each point.

    >>> from shapely.geometry import box
    >>> a = PointAssigner(["002", "001", "003"], [box(1, 0, 2, 1), box(0, 0, 1, 1), box(5, 5, 6, 6)])
    >>> a.assign([0.5, 1.0, 1.0, 9.0], [0.5, 0.5, 1.0, 9.0]).tolist()
    ['001', '001', '001', None]
    """

    def __init__(self, codes: Sequence[str], geoms: Iterable, *, rectangle_shortcut: bool = True):
        code_array = np.asarray(list(codes), dtype=object)
        geoms = np.asarray(list(geoms), dtype=object)
        if len(code_array) != len(geoms):
            raise ValueError("one code per geometry")
        keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else np.zeros(0, bool)
        order = np.argsort(code_array[keep], kind="stable")
        self.codes = code_array[keep][order]
        self.geoms = geoms[keep][order]
        if len(set(self.codes.tolist())) != len(self.codes):
            raise ValueError("grid codes must be unique")
        self.bounds = shapely.bounds(self.geoms) if len(self.geoms) else np.zeros((0, 4))
        self._box = tuple(np.ascontiguousarray(self.bounds[:, i]) for i in range(4))
        self.exact_by_box = (
            rectangles(self.geoms) if rectangle_shortcut and len(self.geoms) else np.zeros(len(self.geoms), dtype=bool)
        )
        shapely.prepare(self.geoms[~self.exact_by_box])
        self._cells = _bucket(self.bounds) if len(self.geoms) else None

    def __len__(self) -> int:
        return len(self.codes)

    def _candidates(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, grid) pairs whose bounding box covers the point."""
        c = self._cells
        assert c is not None  # only asked when there are grids
        cx = np.floor((x - c.x0) / c.width)
        cy = np.floor((y - c.y0) / c.height)
        inside = (cx >= 0) & (cx < c.nx) & (cy >= 0) & (cy < c.ny)  # NaN coordinates fail too
        points = np.flatnonzero(inside).astype(np.int32 if len(x) < 2**31 else np.int64)
        cell = cy[points].astype(np.int64) * c.nx + cx[points].astype(np.int64)
        first, count = c.start[cell], c.start[cell + 1] - c.start[cell]
        point = np.repeat(points, count)
        grid = c.members[np.repeat(first - (np.cumsum(count) - count), count) + np.arange(len(point))]
        px, py = x[point], y[point]
        minx, miny, maxx, maxy = self._box
        in_box = (px >= minx[grid]) & (px <= maxx[grid]) & (py >= miny[grid]) & (py <= maxy[grid])
        return point[in_box], grid[in_box]

    def assign_positions(self, lon, lat) -> np.ndarray:
        """Position (in self.codes) of the grid each point belongs to, -1 outside every grid."""
        x, y = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        best = np.full(len(x), len(self.codes), dtype=np.int64)
        if self._cells is not None and len(x):
            point, grid = self._candidates(x, y)
            exact = ~self.exact_by_box[grid]
            covered = np.ones(len(grid), dtype=bool)
            covered[exact] = shapely.intersects_xy(self.geoms[grid[exact]], x[point[exact]], y[point[exact]])
            np.minimum.at(best, point[covered], grid[covered])  # the shared-edge rule: lowest code
        best[best == len(self.codes)] = -1
        return best

    def assign(self, lon, lat) -> np.ndarray:
        """Code of the grid each point belongs to (lowest code on shared edges), None outside."""
        pos = self.assign_positions(lon, lat)
        out = np.empty(len(pos), dtype=object)
        out[pos >= 0] = self.codes[pos[pos >= 0]]
        return out
