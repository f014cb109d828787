"""What a feature of an imported layer must be (issue 5), pure: geometry type and validity, its properties as
its layer declares them (layers/*.toml through gisapp.domain.layers: the same check as an OGC edit's), inside
the county. Each failure is a Problem naming the feature (its index in the file and its code or device id),
a stable check code, a message and where it is.

Property names are matched case-insensitively, and also cut to 10 characters (a Shapefile's dBase
fields: azimuth_de for azimuth_deg). A GeoJSON file is JSON and taken as typed, like an edit; the cells of a
CSV are text and a Shapefile's or GeoPackage's columns loosely typed, so there numbers and booleans are parsed
and an empty cell is no value (`loose`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import shapely
from shapely.geometry.base import BaseGeometry

from gisapp.domain.layers import Layer, catalogue, check_geometry_of, check_properties


def importable() -> tuple[str, ...]:
    """The layers an import writes: the editable ones."""
    return tuple(name for name, layer in catalogue().items() if layer.editable)


@dataclass(frozen=True)
class Problem:
    index: int | None  # the feature's position in the file (None: the layout as a whole, e.g. a gap)
    id: str | None  # its code or device id, when it has one
    check: str  # stable code: missing_property, invalid_property, out_of_range, invalid_feature_id,
    # invalid_geometry ...
    message: str
    where: BaseGeometry | None = None

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "id": self.id,
            "check": self.check,
            "message": self.message,
            "where": shapely.geometry.mapping(self.where) if self.where is not None else None,
        }


def _lookup(props: dict, name: str):
    """A property by name, case-insensitive, or by its first 10 characters (Shapefile field names)."""
    lowered = {str(k).strip().lower(): v for k, v in props.items()}
    return lowered.get(name, lowered.get(name[:10]))


def feature_id(layer: str, props: dict) -> str | None:
    """The feature's code or device id as the file gives it, for naming it in problems."""
    value = _lookup(props, catalogue()[layer].id_property)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else None


def _in_county(layer: Layer, ident: str, county: str) -> str | None:
    """What is wrong with a well-formed code or device id in this county (None: nothing)."""
    if layer.id == "grids" and not ident.startswith(county):
        return f"a grid code is 15 digits: the 12 of a community of county {county} and a serial"
    if layer.id == "cameras" and not ident.startswith(county):
        return f"the device id's first 6 digits ({ident[:6]}) are not this county's code {county}"
    return None


def _properties(
    layer: Layer, index: int, ident: str | None, props: dict, county: str, loose: bool
) -> tuple[dict, list[Problem]]:
    given = {p.name: _lookup(props, p.name) for p in layer.writable}
    values, found = check_properties(layer, given, loose=loose)
    problems = [Problem(index, ident, p.code, p.message) for p in found]
    well_formed = values.get(layer.id_property)
    if well_formed is not None and not any(p.property == layer.id_property for p in found):
        wrong = _in_county(layer, well_formed, county)
        if wrong:
            problems.append(Problem(index, ident, "invalid_feature_id", wrong))
    return values, problems


def _geometry(layer: Layer, index: int, ident: str | None, geom: BaseGeometry, county_area) -> list[Problem]:
    wrong = check_geometry_of(layer, geom)
    if wrong:
        return [Problem(index, ident, wrong.code, wrong.message, wrong.where)]
    if not county_area.covers(geom):
        outside = geom.difference(county_area)
        return [
            Problem(
                index,
                ident,
                "outside_county",
                "the feature lies (partly) outside the county",
                outside if not outside.is_empty else geom,
            )
        ]
    return []


def check_feature(
    layer_name: str,
    index: int,
    props: dict,
    geom: BaseGeometry | None,
    geometry_error: str | None,
    county: str,
    county_area,
    *,
    loose: bool = False,
) -> tuple[dict | None, list[Problem]]:
    """The row to write for one feature (None when it has problems) and its problems.

    county_area: the county's polygon, slightly grown for rounding (see county_area below). loose: the file's
    values are text or loosely typed (CSV, Shapefile, GeoPackage), see the module's docstring.
    """
    layer = catalogue()[layer_name]
    ident = feature_id(layer_name, props)
    values, problems = _properties(layer, index, ident, props, county, loose)
    if geom is None:
        problems.append(
            Problem(
                index,
                ident,
                "missing_geometry"
                if geometry_error is None or "no geometry" in geometry_error
                else "malformed_geometry",
                geometry_error or "no geometry",
            )
        )
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
    key = catalogue()[layer].id_property
    for index, row in rows:
        ident = row[key]
        if ident in seen:
            found.append(
                Problem(
                    index,
                    ident,
                    "duplicate_id",
                    f"{key} {ident} is also feature {seen[ident]} of the file",
                    row["geometry"],
                )
            )
        else:
            seen[ident] = index
    return found
