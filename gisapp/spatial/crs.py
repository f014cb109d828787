"""Coordinate reference systems used by the platform and conversions between them.

The platform stores every coordinate as EPSG:4326 (WGS84) longitude/latitude.
Input may arrive in four systems:

* ``EPSG:4326`` WGS84 [世界大地坐标系] -- GPS receivers, OpenStreetMap, GeoJSON.
* ``EPSG:4490`` CGCS2000 [2000国家大地坐标系] -- Chinese national surveying data,
  天地图 (Tianditu).  For this platform it is treated as identical to WGS84: the two
  frames agree to a few centimetres, and pyproj's own EPSG:4490 -> EPSG:4326
  transformation is a "ballpark" no-op (``proj=noop``).
* ``GCJ-02`` [国测局坐标 / 火星坐标] -- the obfuscated system mandated for published
  maps in China (Amap/高德, Tencent/腾讯, Google China).  It is WGS84 plus a
  deterministic, non-linear offset of a few hundred metres.
* ``BD-09`` [百度坐标] -- Baidu Maps; GCJ-02 plus a further offset (BD-09 lon/lat,
  also called ``bd09ll``).  Baidu's Mercator variant ``bd09mc`` is NOT supported.

Accuracy (measured by ``tests/spatial/test_crs.py``):

* WGS84 -> GCJ-02 and GCJ-02 -> BD-09 are the published forward formulas (exact by
  definition).
* GCJ-02 -> WGS84 and BD-09 -> WGS84 are iterative inverses of the forward
  formulas; the round trip error is far below a millimetre.  The commonly copied
  one-step inverse (``2 * gcj - forward(gcj)``) is off by ~0.5-2 m and is not used.
* :func:`bd09_to_gcj02` is the published closed-form inverse, itself approximate
  (round-trip error up to ~0.22 m inside the China box, usually a few cm); it is
  kept because it reproduces the values of the common open-source converters.
  :func:`bd09_to_wgs84` does not depend on it for its final accuracy: it only
  uses it as a starting point and then inverts the whole WGS84 -> BD-09 chain.

The GCJ-02/BD-09 formulas are pure Python; each works on one (lon, lat) pair, in degrees, lon first.

This module is the one home of CRS names and conversions: what the API, import, export, the basemap setting
and the search accept (:func:`parse_crs`, :func:`crs_name`, :func:`file_crs_name`) and every conversion to and
from the storage CRS (:func:`to_wgs84`, :func:`from_wgs84`, :func:`xy_to_wgs84`, :func:`xy_from_wgs84`).
pyproj (for the Gauss-Kruger zones) is imported only when a projected CRS is used.
tests/spatial/test_crs_home.py fails when CRS parsing or pyproj appears anywhere else.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "Crs",
    "UnknownCrs",
    "UnacceptedCrs",
    "parse_crs",
    "crs_name",
    "file_crs_name",
    "is_offset",
    "xy_to_wgs84",
    "xy_from_wgs84",
    "to_wgs84",
    "from_wgs84",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "in_china",
]


class Crs(StrEnum):
    """Coordinate reference systems accepted by the platform (value = canonical name)."""

    WGS84 = "EPSG:4326"
    CGCS2000 = "EPSG:4490"
    GCJ02 = "GCJ-02"
    BD09 = "BD-09"


class UnknownCrs(ValueError):
    """Raised by :func:`parse_crs` for a CRS name the platform does not accept."""


# Aliases, keyed by the normalised spelling (upper case, without "-", "_", ":",
# "/", "." and blanks).  Keep docs/coordinates.md in sync.
_ALIASES: dict[str, Crs] = {
    "EPSG4326": Crs.WGS84,
    "4326": Crs.WGS84,
    "WGS84": Crs.WGS84,
    "CRS84": Crs.WGS84,
    "OGCCRS84": Crs.WGS84,
    "EPSG4490": Crs.CGCS2000,
    "4490": Crs.CGCS2000,
    "CGCS2000": Crs.CGCS2000,
    "GCJ02": Crs.GCJ02,
    "GCJ": Crs.GCJ02,
    "BD09": Crs.BD09,
    "BD09LL": Crs.BD09,
}

_ACCEPTED = (
    "EPSG:4326 (aliases: 4326, WGS84, WGS-84, CRS84, OGC:CRS84), "
    "EPSG:4490 (aliases: 4490, CGCS2000), "
    "GCJ-02 (aliases: GCJ02, GCJ), "
    "BD-09 (aliases: BD09, BD09LL); case-insensitive"
)


def _normalise(value: str) -> str:
    """Upper-case ``value`` and drop separators so aliases compare equal."""
    return "".join(ch for ch in value.upper() if ch not in "-_:/. \t")


def parse_crs(value: object) -> Crs:
    """Return the :class:`Crs` named by ``value`` (None means WGS84); raise UnknownCrs otherwise.

    >>> parse_crs(None), parse_crs("gcj02"), parse_crs("EPSG:4490"), parse_crs(" bd-09 ")
    (<Crs.WGS84: 'EPSG:4326'>, <Crs.GCJ02: 'GCJ-02'>, <Crs.CGCS2000: 'EPSG:4490'>, <Crs.BD09: 'BD-09'>)
    >>> parse_crs("EPSG:3857")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    UnknownCrs: unknown CRS 'EPSG:3857'; accepted: EPSG:4326 (aliases: 4326, WGS84, ...
    """
    if value is None:
        return Crs.WGS84
    if isinstance(value, Crs):
        return value
    if not isinstance(value, str):
        raise UnknownCrs(f"unknown CRS {value!r}; accepted: {_ACCEPTED}")
    crs = _ALIASES.get(_normalise(value))
    if crs is None:
        raise UnknownCrs(f"unknown CRS {value!r}; accepted: {_ACCEPTED}")
    return crs


# CGCS2000 3-degree Gauss-Kruger zones 25-45 (central meridians 75°E-135°E; Jiangsu: EPSG:4538-4540 ...):
# projected, in metres, through pyproj; the one table of them (import, export)
GAUSS_KRUGER = range(4534, 4555)  # easting without the zone number in front
GAUSS_KRUGER_PREFIXED = range(4513, 4534)  # the same zones, easting with the zone number in front


def gauss_kruger_srid(lon: float) -> int:
    """The EPSG code of the CGCS2000 3-degree Gauss-Kruger zone (no prefix) whose central meridian is nearest to
    `lon`, clamped to the table. sql/013's choice of the adjacency's metric CRS mirrors it (round half up).

    >>> gauss_kruger_srid(119.0), gauss_kruger_srid(10.0), gauss_kruger_srid(121.5)
    (4549, 4534, 4550)
    """
    zone = math.floor((lon - 75) / 3 + 0.5)
    return GAUSS_KRUGER[min(len(GAUSS_KRUGER) - 1, max(0, zone))]


def gauss_kruger_prefixed_srid(zone: int) -> int | None:
    """The EPSG code of the zone-prefixed Gauss-Kruger CRS of 3-degree zone `zone` (25..45), None for others.

    >>> gauss_kruger_prefixed_srid(40), gauss_kruger_prefixed_srid(46)
    (4528, None)
    """
    return GAUSS_KRUGER_PREFIXED[zone - 25] if 25 <= zone <= 45 else None


def gauss_kruger_epsg(value: object, *, prefixed: bool = True) -> str | None:
    """'EPSG:nnnn' when `value` names a CGCS2000 Gauss-Kruger zone (its zone-prefixed twin too when
    `prefixed`), else None (then parse_crs says whether it is one of the geographic CRSs).

    >>> gauss_kruger_epsg(" epsg:4549"), gauss_kruger_epsg("EPSG:4528", prefixed=False), gauss_kruger_epsg("GCJ-02")
    ('EPSG:4549', None, None)
    >>> gauss_kruger_epsg("EPSG:４５４９") is None  # full-width digits are not an EPSG code
    True
    """
    text = str(value).strip().upper()
    digits = text[5:]
    if not (text.startswith("EPSG:") and digits.isascii() and digits.isdigit() and len(digits) <= 6):
        return None
    code = int(digits)
    zones = (GAUSS_KRUGER, GAUSS_KRUGER_PREFIXED) if prefixed else (GAUSS_KRUGER,)
    return f"EPSG:{code}" if any(code in zone for zone in zones) else None


GEOGRAPHIC = (Crs.WGS84, Crs.CGCS2000)  # degrees taken as WGS84 as they are
OFFSETS = (Crs.GCJ02, Crs.BD09)  # the Chinese web-map offsets: no EPSG code, only ever declared


def crs_name(value: object, *, prefixed: bool = True) -> str:
    """The canonical name of any CRS the platform accepts: a :class:`Crs` value, or 'EPSG:nnnn' of a CGCS2000
    Gauss-Kruger zone (its zone-prefixed twin too when `prefixed`); None means WGS84; UnknownCrs otherwise.

    >>> crs_name("gcj02"), crs_name(" epsg:4549"), crs_name(None), crs_name("4490")
    ('GCJ-02', 'EPSG:4549', 'EPSG:4326', 'EPSG:4490')
    >>> crs_name("EPSG:4528", prefixed=False)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    UnknownCrs: unknown CRS 'EPSG:4528'; accepted: ...
    """
    if value is not None and (projected := gauss_kruger_epsg(value, prefixed=prefixed)):
        return projected
    return str(parse_crs(value))


def is_offset(name: object) -> bool:
    """Whether a canonical CRS name is one of the web-map offsets (GCJ-02, BD-09): degrees that move.

    >>> is_offset("BD-09"), is_offset("EPSG:4326"), is_offset("EPSG:4549")
    (True, False, False)
    """
    return name in OFFSETS


class UnacceptedCrs(UnknownCrs):
    """Raised by :func:`file_crs_name` for a real CRS the platform does not accept (``name``: the CRS's own name)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"CRS {name!r} is not accepted")
        self.name = name


def file_crs_name(value: Any) -> str:
    """The canonical name of the CRS a file declares (a pyproj CRS, an EPSG or OGC name, WKT); UnacceptedCrs for
    a CRS the platform does not accept, UnknownCrs when `value` names no CRS at all.

    >>> file_crs_name("OGC:CRS84"), file_crs_name("urn:ogc:def:crs:EPSG::4549")
    ('EPSG:4326', 'EPSG:4549')
    >>> file_crs_name("EPSG:3857")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    UnacceptedCrs: CRS 'WGS 84 / Pseudo-Mercator' is not accepted
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = value if isinstance(value, CRS) else CRS.from_user_input(value)
    except (CRSError, TypeError):
        raise UnknownCrs(f"not a CRS: {value!r}") from None
    if crs.equals(CRS("OGC:CRS84")):
        return str(Crs.WGS84)
    code = crs.to_epsg(min_confidence=70)
    if code in (4326, 4490) or code in GAUSS_KRUGER or code in GAUSS_KRUGER_PREFIXED:
        return f"EPSG:{code}"
    raise UnacceptedCrs(crs.name)


XY = Callable[[np.ndarray], np.ndarray]  # an (n, 2) array of x, y to another (n, 2) array (shapely.transform)


def xy_to_wgs84(name: str) -> XY:
    """The conversion of coordinates in the CRS `name` (canonical, see :func:`crs_name`) to WGS84, for arrays.

    >>> xy_to_wgs84("EPSG:4549")(np.array([[500000.0, 3547000.0]])).round(4)
    array([[120.    ,  32.0464]])
    """
    if name in GEOGRAPHIC:
        return lambda xy: xy
    if name in OFFSETS:
        crs = Crs(name)
        return lambda xy: np.array([to_wgs84(x, y, crs) for x, y in xy]).reshape(-1, 2)
    transformer = _transformer(name, str(Crs.WGS84))
    return lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))


def xy_from_wgs84(name: str) -> XY:
    """The conversion of WGS84 coordinates to the CRS `name` (canonical, see :func:`crs_name`), for arrays.

    >>> xy_from_wgs84("EPSG:4549")(np.array([[120.0, 32.0]])).round(0)  # the central meridian: false easting
    array([[ 500000., 3541852.]])
    """
    if name in GEOGRAPHIC:
        return lambda xy: xy
    if name in OFFSETS:
        crs = Crs(name)
        return lambda xy: np.array([from_wgs84(x, y, crs) for x, y in xy]).reshape(-1, 2)
    transformer = _transformer(str(Crs.WGS84), name)
    return lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))


@lru_cache(maxsize=64)
def _transformer(source: str, target: str):
    """A pyproj transformer, x (easting, longitude) first; built once per pair."""
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


# --------------------------------------------------------------------------- #
# GCJ-02 forward transform (published algorithm, Krasovsky 1940 ellipsoid)
# --------------------------------------------------------------------------- #

_KRASOVSKY_A = 6378245.0  # semi-major axis, metres
_KRASOVSKY_EE = 0.00669342162296594323  # first eccentricity squared

_CHINA_LON_MIN, _CHINA_LON_MAX = 72.004, 137.8347
_CHINA_LAT_MIN, _CHINA_LAT_MAX = 0.8293, 55.8271

_INVERSE_TOLERANCE_DEG = 1e-9  # ~0.1 mm
_INVERSE_MAX_ITERATIONS = 30


def in_china(lon: float, lat: float) -> bool:
    """True inside the rough China box (lon 72.004..137.8347, lat 0.8293..55.8271) where GCJ-02 applies.

    >>> in_china(118.7969, 32.0603), in_china(2.2945, 48.8584), in_china(137.8347, 55.8271)
    (True, False, True)
    """
    return _CHINA_LON_MIN <= lon <= _CHINA_LON_MAX and _CHINA_LAT_MIN <= lat <= _CHINA_LAT_MAX


def _series_lat(x: float, y: float) -> float:
    """Latitude series of the GCJ-02 offset, in pseudo-metres; x = lon-105, y = lat-35."""
    pi = math.pi
    s = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    s += (20.0 * math.sin(6.0 * pi * x) + 20.0 * math.sin(2.0 * pi * x)) * 2.0 / 3.0
    s += (20.0 * math.sin(pi * y) + 40.0 * math.sin(pi * y / 3.0)) * 2.0 / 3.0
    s += (160.0 * math.sin(pi * y / 12.0) + 320.0 * math.sin(pi * y / 30.0)) * 2.0 / 3.0
    return s


def _series_lon(x: float, y: float) -> float:
    """Longitude series of the GCJ-02 offset, in pseudo-metres; x = lon-105, y = lat-35."""
    pi = math.pi
    s = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    s += (20.0 * math.sin(6.0 * pi * x) + 20.0 * math.sin(2.0 * pi * x)) * 2.0 / 3.0
    s += (20.0 * math.sin(pi * x) + 40.0 * math.sin(pi * x / 3.0)) * 2.0 / 3.0
    s += (150.0 * math.sin(pi * x / 12.0) + 300.0 * math.sin(pi * x / 30.0)) * 2.0 / 3.0
    return s


def _gcj02_offset(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 minus WGS84 at the WGS84 point (lon, lat), in degrees, with no China-box test."""
    x, y = lon - 105.0, lat - 35.0
    phi = math.radians(lat)
    w2 = 1.0 - _KRASOVSKY_EE * math.sin(phi) ** 2
    w = math.sqrt(w2)
    # Pseudo-metres -> degrees via the meridian (M) and prime-vertical (N) radii.
    meridian_radius = _KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) / (w2 * w)
    prime_vertical_radius = _KRASOVSKY_A / w
    dlat = _series_lat(x, y) * 180.0 / (meridian_radius * math.pi)
    dlon = _series_lon(x, y) * 180.0 / (prime_vertical_radius * math.cos(phi) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert WGS84 lon/lat to GCJ-02 (unchanged outside the China box).

    >>> tuple(round(v, 6) for v in wgs84_to_gcj02(116.397128, 39.916527))  # Tiananmen
    (116.403372, 39.917931)
    >>> wgs84_to_gcj02(2.2945, 48.8584)  # Eiffel Tower: outside China, unchanged
    (2.2945, 48.8584)
    """
    if not in_china(lon, lat):
        return lon, lat
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward, target_lon: float, target_lat: float, start: tuple[float, float]) -> tuple[float, float]:
    """Fixed-point solve forward(p) == target starting from ``start`` (p -= forward(p) - target)."""
    lon, lat = start
    for _ in range(_INVERSE_MAX_ITERATIONS):
        f_lon, f_lat = forward(lon, lat)
        d_lon, d_lat = f_lon - target_lon, f_lat - target_lat
        lon -= d_lon
        lat -= d_lat
        if abs(d_lon) < _INVERSE_TOLERANCE_DEG and abs(d_lat) < _INVERSE_TOLERANCE_DEG:
            break
    return lon, lat


def _wgs84_to_gcj02_unboxed(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 -> GCJ-02 without the China-box test (keeps the inverse iteration smooth)."""
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert GCJ-02 lon/lat to WGS84 by iterative inversion (sub-millimetre; unchanged outside China).

    >>> tuple(round(v, 9) for v in gcj02_to_wgs84(*wgs84_to_gcj02(118.7969, 32.0603)))
    (118.7969, 32.0603)
    >>> gcj02_to_wgs84(-74.0445, 40.6892)  # Statue of Liberty: outside China, unchanged
    (-74.0445, 40.6892)
    """
    if not in_china(lon, lat):
        return lon, lat
    return _invert(_wgs84_to_gcj02_unboxed, lon, lat, (lon, lat))


# --------------------------------------------------------------------------- #
# BD-09 <-> GCJ-02 (published x_pi formulas)
# --------------------------------------------------------------------------- #

_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON, _BD_DLAT = 0.0065, 0.006


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Convert GCJ-02 lon/lat to BD-09 (applied everywhere, also outside China).

    >>> tuple(round(v, 6) for v in gcj02_to_bd09(*wgs84_to_gcj02(116.397128, 39.916527)))
    (116.409739, 39.924269)
    >>> tuple(round(v, 6) for v in gcj02_to_bd09(0.0, 0.0))  # no GCJ box: BD shift still applies
    (0.0065, 0.006)
    """
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + _BD_DLON, z * math.sin(theta) + _BD_DLAT


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Convert BD-09 lon/lat to GCJ-02 with the published closed-form inverse (approximate: error up to ~0.22 m).

    >>> tuple(round(v, 5) for v in bd09_to_gcj02(*gcj02_to_bd09(116.403372, 39.917931)))
    (116.40337, 39.91793)
    >>> tuple(round(v, 5) for v in bd09_to_gcj02(*gcj02_to_bd09(2.2945, 48.8584)))  # outside China too
    (2.2945, 48.8584)
    """
    x, y = lon - _BD_DLON, lat - _BD_DLAT
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Convert WGS84 lon/lat to BD-09 (WGS84 -> GCJ-02 -> BD-09).

    >>> tuple(round(v, 6) for v in wgs84_to_bd09(116.397128, 39.916527))
    (116.409739, 39.924269)
    >>> tuple(round(v, 6) for v in wgs84_to_bd09(2.2945, 48.8584))  # outside China: only the BD shift
    (2.300894, 48.864421)
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Convert BD-09 lon/lat to WGS84 by iteratively inverting WGS84 -> BD-09 (sub-millimetre).

    >>> tuple(round(v, 9) for v in bd09_to_wgs84(*wgs84_to_bd09(118.7969, 32.0603)))
    (118.7969, 32.0603)
    >>> tuple(round(v, 9) for v in bd09_to_wgs84(*wgs84_to_bd09(2.2945, 48.8584)))  # outside China
    (2.2945, 48.8584)
    """
    gcj = bd09_to_gcj02(lon, lat)
    if in_china(*gcj):
        forward = lambda x, y: gcj02_to_bd09(*_wgs84_to_gcj02_unboxed(x, y))  # noqa: E731
        start = gcj02_to_wgs84(*gcj)
    else:
        forward = gcj02_to_bd09
        start = gcj
    return _invert(forward, lon, lat, start)


# --------------------------------------------------------------------------- #
# Dispatch
# --------------------------------------------------------------------------- #


def to_wgs84(lon: float, lat: float, crs: Crs | str) -> tuple[float, float]:
    """Convert a lon/lat given in ``crs`` to WGS84 (EPSG:4326), the storage CRS; ``crs`` may also name a
    Gauss-Kruger zone, then ``lon``, ``lat`` are its easting and northing in metres.

    >>> tuple(round(v, 6) for v in to_wgs84(118.802084, 32.058224, Crs.GCJ02))
    (118.7969, 32.0603)
    >>> to_wgs84(118.7969, 32.0603, Crs.CGCS2000)  # CGCS2000 is taken as WGS84
    (118.7969, 32.0603)
    >>> tuple(round(v, 4) for v in to_wgs84(500000.0, 3547000.0, "EPSG:4549"))  # on the zone's central meridian
    (120.0, 32.0464)
    """
    if not isinstance(crs, Crs) and (projected := gauss_kruger_epsg(crs)):
        x, y = _transformer(projected, str(Crs.WGS84)).transform(lon, lat)
        return float(x), float(y)
    crs = parse_crs(crs)
    if crs in (Crs.WGS84, Crs.CGCS2000):
        return float(lon), float(lat)
    if crs is Crs.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return bd09_to_wgs84(lon, lat)


def from_wgs84(lon: float, lat: float, crs: Crs) -> tuple[float, float]:
    """Convert a WGS84 (EPSG:4326) lon/lat to ``crs``, e.g. for display on an Amap/Baidu base map.

    >>> tuple(round(v, 6) for v in from_wgs84(116.397128, 39.916527, Crs.BD09))
    (116.409739, 39.924269)
    >>> from_wgs84(2.2945, 48.8584, Crs.GCJ02)  # outside China, unchanged
    (2.2945, 48.8584)
    """
    crs = parse_crs(crs)
    if crs in (Crs.WGS84, Crs.CGCS2000):
        return float(lon), float(lat)
    if crs is Crs.GCJ02:
        return wgs84_to_gcj02(lon, lat)
    return wgs84_to_bd09(lon, lat)
