"""Web Mercator XYZ tile arithmetic (the tiling of ST_TileEnvelope, Leaflet and OSM)."""

from __future__ import annotations

import math

MAX_LATITUDE = 85.0511287798066  # where Web Mercator's square ends


def tile_count(z: int) -> int:
    """Tiles along one axis at a zoom.

    >>> tile_count(0), tile_count(13)
    (1, 8192)
    """
    return 1 << z


def is_tile(z: int, x: int, y: int, max_zoom: int) -> bool:
    """Does (z, x, y) name a tile of a pyramid with zooms 0..max_zoom?

    >>> is_tile(0, 0, 0, 18), is_tile(3, 8, 0, 18), is_tile(19, 0, 0, 18), is_tile(2, -1, 0, 18)
    (True, False, False, False)
    """
    return 0 <= z <= max_zoom and 0 <= x < tile_count(z) and 0 <= y < tile_count(z)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The (x, y) of the tile at zoom z holding a WGS84 point; the antimeridian and poles clamp inside.

    >>> tile_of(118.84, 32.06, 8)
    (212, 103)
    >>> tile_of(180.0, 90.0, 1)
    (1, 0)
    """
    n = tile_count(z)
    lat = max(-MAX_LATITUDE, min(MAX_LATITUDE, lat))
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The (west, south, east, north) of a tile in degrees.

    >>> [round(v, 6) for v in tile_bounds(1, 1, 0)]
    [0.0, 0.0, 180.0, 85.051129]
    """
    n = tile_count(z)

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)
