"""What a feature of an imported layer must be (issue 5), pure: geometry type and validity, the required
properties and their forms, value ranges, inside the county. Each failure is a Problem naming the feature
(its index in the file and its code or device id), a stable check code, a message and where it is.

Property names are matched case-insensitively, and also cut to 10 characters (a Shapefile's dBase
fields: azimuth_de for azimuth_deg). Values may come as text (a CSV): numbers and booleans are parsed.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

LAYERS = ("grids", "key-roads", "key-locations", "cameras")
ID_FIELD = {"grids": "code", "key-roads": "code", "key-locations": "code", "cameras": "device_id"}
GEOMETRY_TYPES = {"grids": ("Polygon", "MultiPolygon"), "key-roads": ("LineString", "MultiLineString"),
                  "key-locations": ("Point", "Polygon", "MultiPolygon"), "cameras": ("Point",)}
ROAD_CLASSES = ("trunk", "primary", "secondary")
LOCATION_KINDS = ("transport_hub", "commercial", "government", "school", "hospital", "scenic", "residential")
FEATURE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")  # key roads and locations: R001, L017 ...
GRID_CODE = re.compile(r"^[0-9]{15}$")
DEVICE_ID = re.compile(r"^[0-9]{20}$")
CAMERA_TYPES = ("131", "132")   # GB/T 28181-2016 annex D, digits 11-13: 131 camera, 132 network camera (IPC)
MAX_RANGE_M = 5000.0            # farther is a unit error (km, feet), not a camera
TRUE, FALSE = ("1", "true", "t", "yes", "y", "是", "在线"), ("0", "false", "f", "no", "n", "否", "离线")


@dataclass(frozen=True)
class Problem:
    index: int | None          # the feature's position in the file (None: the layout as a whole, e.g. a gap)
    id: str | None             # its code or device id, when it has one
    check: str                 # stable code: missing_property, bad_code, out_of_range, invalid_geometry ...
    message: str
    where: BaseGeometry | None = None

    def to_dict(self) -> dict:
        return {"index": self.index, "id": self.id, "check": self.check, "message": self.message,
                "where": shapely.geometry.mapping(self.where) if self.where is not None else None}


class Bad(ValueError):
    """A property value that cannot be accepted: its check code and message."""

    def __init__(self, check: str, message: str):
        super().__init__(message)
        self.check = check


def _text(value) -> str:
    text = str(value).strip()
    if not text:
        raise Bad("missing_property", "is empty")
    return text


def _choice(options: tuple[str, ...]):
    def parse(value) -> str:
        if str(value).strip() not in options:
            raise Bad("bad_value", f"{value!r} is not one of {', '.join(options)}")
        return str(value).strip()
    return parse


def _number(low: float, high: float, *, low_open: bool = False, high_open: bool = False, integer: bool = False):
    def parse(value) -> float | int:
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            raise Bad("not_a_number", f"{value!r} is not a number") from None
        below = number <= low if low_open else number < low
        above = number >= high if high_open else number > high
        if math.isnan(number) or below or above or (integer and number != int(number)):
            interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
            raise Bad("out_of_range", f"{value!r} is not {'an integer ' if integer else ''}in {interval}")
        return int(number) if integer else number
    return parse


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise Bad("bad_value", f"{value!r} is not true or false")


def _code(value) -> str:
    code = _text(value)
    if not FEATURE_CODE.match(code):
        raise Bad("bad_code", f"{code!r}: 1-32 letters, digits, '-' or '_', starting with a letter or digit")
    return code


# per layer: (property, parser, default when missing; ... means required)
FIELDS = {
    "grids": (("code", _text, ...), ("name", _text, ...)),
    "key-roads": (("code", _code, ...), ("name", _text, ...), ("road_class", _choice(ROAD_CLASSES), ...)),
    "key-locations": (("code", _code, ...), ("name", _text, ...), ("kind", _choice(LOCATION_KINDS), ...),
                      ("risk_level", _number(1, 3, integer=True), 1)),
    "cameras": (("device_id", _text, ...), ("name", _text, ...),
                ("azimuth_deg", _number(0, 360, high_open=True), ...), ("fov_deg", _number(0, 360, low_open=True), ...),
                ("range_m", _number(0, MAX_RANGE_M, low_open=True), ...), ("online", _boolean, True)),
}


def _lookup(props: dict, name: str):
    """A property by name, case-insensitive, or by its first 10 characters (Shapefile field names)."""
    lowered = {str(k).strip().lower(): v for k, v in props.items()}
    value = lowered.get(name, lowered.get(name[:10]))
    return None if isinstance(value, str) and not value.strip() else value


def feature_id(layer: str, props: dict) -> str | None:
    value = _lookup(props, ID_FIELD[layer])
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else None


def _identity(layer: str, ident: str, county: str) -> str | None:
    """What is wrong with a code or device id in this county (None: nothing)."""
    if layer == "grids":
        if not (GRID_CODE.match(ident) and ident.startswith(county)):
            return f"a grid code is 15 digits: the 12 of a community of county {county} and a serial"
    elif layer == "cameras":
        if not DEVICE_ID.match(ident):
            return "a GB/T 28181 device id is 20 digits"
        if not ident.startswith(county):
            return f"the device id's first 6 digits ({ident[:6]}) are not this county's code {county}"
        if ident[10:13] not in CAMERA_TYPES:
            return f"digits 11-13 of the device id ({ident[10:13]}) are not a camera type (131, 132)"
    elif not FEATURE_CODE.match(ident):
        return "a code is 1-32 letters, digits, '-' or '_'"
    return None


def _properties(layer: str, index: int, ident: str | None, props: dict) -> tuple[dict, list[Problem]]:
    values, problems = {}, []
    for name, parse, default in FIELDS[layer]:
        raw = _lookup(props, name)
        if raw is None:
            if default is ...:
                problems.append(Problem(index, ident, "missing_property", f"{name} is required"))
            values[name] = None if default is ... else default
            continue
        try:
            values[name] = parse(raw)
        except Bad as bad:
            problems.append(Problem(index, ident, bad.check, f"{name}: {bad}"))
    return values, problems


def invalidity(geom: BaseGeometry) -> tuple[str, BaseGeometry | None] | None:
    """Why a geometry is not valid and where (None when it is valid).

    >>> invalidity(shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]))[0]
    'Self-intersection[0.5 0.5]'
    """
    if geom.is_valid:
        return None
    reason = explain_validity(geom)
    match = re.search(r"\[([-0-9.e]+) ([-0-9.e]+)\]", reason)
    return reason, shapely.Point(float(match.group(1)), float(match.group(2))) if match else geom


def _geometry(layer: str, index: int, ident: str | None, geom: BaseGeometry, county_area) -> list[Problem]:
    if geom.is_empty:
        return [Problem(index, ident, "empty_geometry", "the geometry is empty")]
    if geom.geom_type not in GEOMETRY_TYPES[layer]:
        return [Problem(index, ident, "wrong_geometry_type", f"a {layer} feature is a "
                        f"{' or '.join(GEOMETRY_TYPES[layer])}, not a {geom.geom_type}", geom.representative_point())]
    invalid = invalidity(geom)
    if invalid:
        return [Problem(index, ident, "invalid_geometry", f"the geometry is not valid: {invalid[0]}", invalid[1])]
    if not county_area.covers(geom):
        outside = geom.difference(county_area)
        return [Problem(index, ident, "outside_county", "the feature lies (partly) outside the county",
                        outside if not outside.is_empty else geom)]
    return []


def check_feature(layer: str, index: int, props: dict, geom: BaseGeometry | None, geometry_error: str | None,
                  county: str, county_area) -> tuple[dict | None, list[Problem]]:
    """The row to write for one feature (None when it has problems) and its problems.

    county_area: the county's polygon, slightly grown for rounding (see county_area below).
    """
    ident = feature_id(layer, props)
    values, problems = _properties(layer, index, ident, props)
    if ident is not None:
        wrong = _identity(layer, ident, county)
        if wrong:
            problems.append(Problem(index, ident, "bad_code", wrong))
        values[ID_FIELD[layer]] = ident
    if geom is None:
        problems.append(Problem(index, ident, "missing_geometry" if geometry_error is None or "no geometry" in
                                geometry_error else "malformed_geometry", geometry_error or "no geometry"))
    else:
        problems += _geometry(layer, index, ident, geom, county_area)
        if any(p.where is None for p in problems):  # a property problem is shown where its feature is
            at = geom.representative_point() if not geom.is_empty else None
            problems = [p if p.where is not None else replace(p, where=at) for p in problems]
    return (None, problems) if problems else ({**values, "geometry": geom}, [])


def county_area(boundary: BaseGeometry, tolerance_deg: float = 1e-5) -> BaseGeometry:
    """The county grown by about a metre (rounding of reprojected edges), prepared for many covers() tests."""
    area = boundary.buffer(tolerance_deg)
    shapely.prepare(area)
    return area


def duplicates(layer: str, rows: list[tuple[int, dict]]) -> list[Problem]:
    """The features whose code or device id an earlier feature of the file already has."""
    seen: dict[str, int] = {}
    found = []
    for index, row in rows:
        ident = row[ID_FIELD[layer]]
        if ident in seen:
            found.append(Problem(index, ident, "duplicate_id", f"{ID_FIELD[layer]} {ident} is also feature "
                                                               f"{seen[ident]} of the file", row["geometry"]))
        else:
            seen[ident] = index
    return found
