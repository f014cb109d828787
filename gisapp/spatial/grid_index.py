"""An in-memory point-to-grid index (rtree + shapely) applying the same rule as PostGIS.

Used where many points are placed at once without a database round trip each (imports,
checks), and as an independent cross-check of the geocoding query: a point covered by several
grids (a shared edge or vertex) goes to the lowest code, as in gisapp.services.geocode.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import geopandas as gpd
import shapely
from rtree import index as rtree_index
from shapely.geometry.base import BaseGeometry


class GridIndex:
    """Grids by code, indexed by bounding box.

    >>> from shapely.geometry import box
    >>> idx = GridIndex([("002", box(1, 0, 2, 1)), ("001", box(0, 0, 1, 1))])
    >>> idx.locate(0.5, 0.5), idx.locate(1.0, 0.5), idx.locate(3, 3)
    ('001', '001', None)
    """

    def __init__(self, grids: Iterable[tuple[str, BaseGeometry]]):
        self.codes: list[str] = []
        self.geoms: list[BaseGeometry] = []
        self._rtree = rtree_index.Index()
        for i, (code, geom) in enumerate(grids):
            shapely.prepare(geom)
            self.codes.append(code)
            self.geoms.append(geom)
            self._rtree.insert(i, geom.bounds)

    @classmethod
    def read(cls, path: Path, code_field: str = "code") -> "GridIndex":
        """Build from a grid layer file (GeoJSON or any format pyogrio reads)."""
        frame = gpd.read_file(path, engine="pyogrio")
        return cls(zip(frame[code_field], frame.geometry))

    def __len__(self) -> int:
        return len(self.codes)

    def covering(self, lon: float, lat: float) -> list[str]:
        """Codes of every grid covering the point (boundary included), sorted."""
        point = shapely.Point(lon, lat)
        hits = (i for i in self._rtree.intersection((lon, lat, lon, lat))
                if self.geoms[i].covers(point))
        return sorted(self.codes[i] for i in hits)

    def locate(self, lon: float, lat: float) -> str | None:
        """The grid a point belongs to: the lowest code among those covering it, or None."""
        found = self.covering(lon, lat)
        return found[0] if found else None
