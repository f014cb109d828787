"""An in-memory point-to-grid index (rtree + shapely) applying the same rule as PostGIS.

Used where many points are placed at once without a database round trip each (imports,
checks), and as an independent cross-check of the geocoding query: a point covered by several
grids (a shared edge or vertex) goes to the lowest code, as in gisapp.services.jurisdiction.geocode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import geopandas as gpd
import shapely
from rtree import index as rtree_index
from shapely.geometry.base import BaseGeometry


class GridIndex:
    """Grids by code, indexed by bounding box; grids can be replaced, added and removed as they are edited.

    >>> from shapely.geometry import box
    >>> idx = GridIndex([("002", box(1, 0, 2, 1)), ("001", box(0, 0, 1, 1))])
    >>> idx.locate(0.5, 0.5), idx.locate(1.0, 0.5), idx.locate(3, 3)
    ('001', '001', None)
    >>> idx.remove("001"); idx.locate(1.0, 0.5), len(idx)
    ('002', 1)
    """

    def __init__(self, grids: Iterable[tuple[str, BaseGeometry]]):
        self.codes: list[str | None] = []
        self.geoms: list[BaseGeometry | None] = []
        self._position: dict[str, int] = {}
        # bulk loading (a generator of (id, box, obj)) builds a packed tree: faster and smaller
        items = list(grids)
        for code, geom in items:
            self._remember(code, geom)
        stream = ((i, g.bounds, None) for i, g in enumerate(self.geoms) if g is not None)
        self._rtree = rtree_index.Index(stream) if items else rtree_index.Index()

    def _remember(self, code: str, geom: BaseGeometry) -> int:
        if code in self._position:
            raise ValueError(f"grid {code} is in the index twice")
        shapely.prepare(geom)
        self._position[code] = len(self.codes)
        self.codes.append(code)
        self.geoms.append(geom)
        return len(self.codes) - 1

    @classmethod
    def read(cls, path: Path, code_field: str = "code") -> "GridIndex":
        """Build from a grid layer file (GeoJSON or any format pyogrio reads)."""
        frame = gpd.read_file(path, engine="pyogrio")
        return cls(zip(frame[code_field], frame.geometry))

    def __len__(self) -> int:
        return len(self._position)

    def remove(self, code: str) -> None:
        """Take a grid out (KeyError if it is not there)."""
        i = self._position.pop(code)
        geom = self.geoms[i]
        assert geom is not None  # a position held is a grid in place
        self._rtree.delete(i, geom.bounds)
        self.codes[i] = self.geoms[i] = None

    def replace(self, code: str, geom: BaseGeometry) -> None:
        """Put a grid's new shape in place of its old one (or add a new grid)."""
        if code in self._position:
            self.remove(code)
        self._rtree.insert(self._remember(code, geom), geom.bounds)

    def covering(self, lon: float, lat: float) -> list[str]:
        """Codes of every grid covering the point (boundary included), sorted."""
        point = shapely.Point(lon, lat)
        return sorted(
            code
            for code, geom in (self._grid(i) for i in self._rtree.intersection((lon, lat, lon, lat)))
            if geom.covers(point)
        )

    def _grid(self, i: int) -> tuple[str, BaseGeometry]:
        code, geom = self.codes[i], self.geoms[i]
        assert code is not None and geom is not None  # the tree holds only grids in place
        return code, geom

    def locate(self, lon: float, lat: float) -> str | None:
        """The grid a point belongs to: the lowest code among those covering it, or None."""
        found = self.covering(lon, lat)
        return found[0] if found else None
