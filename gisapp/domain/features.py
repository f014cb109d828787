"""What an edited map feature must be (OGC API - Features Part 4), pure: its properties as its layer declares
them (layers/*.toml through gisapp.domain.layers: the same check as an import's), the geometry types it
takes, and JSON merge patch (RFC 7396).

A feature comes in as GeoJSON; `clean_feature` returns its id, its properties as they will be stored
(defaults filled in) and its geometry as shapely, or raises ValidationFailed with a stable code and the
property concerned. Read-only properties (a road's length, a grid's community name, its team) sent back
unchanged with a feature are ignored; properties the layer does not have are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry

from gisapp.domain.layers import (
    Layer,
    PropertyProblem,
    catalogue,
    check_geometry_of,
    check_properties,
    check_properties_of,
)
from gisapp.errors import ValidationFailed


@dataclass(frozen=True)
class CleanFeature:
    id: str
    properties: dict  # the writable properties but the id, as stored
    geometry: BaseGeometry


def merge_patch(target, patch):
    """RFC 7396 JSON merge patch: objects merge, null removes, anything else replaces.

    >>> merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None, "e": 4}, "f": [1]})
    {'a': 1, 'b': {'d': 3, 'e': 4}, 'f': [1]}
    """
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _invalid(message: str, code: str, field_name: str | None = None) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field_name)


def _refuse(problem: PropertyProblem) -> ValidationFailed:
    return _invalid(problem.message, problem.code, problem.property)


def _layer(layer_name: str) -> Layer:
    return catalogue()[layer_name]


def clean_properties(layer_name: str, properties: dict, ident: str | None = None) -> dict:
    """The writable properties as stored (defaults filled in), the id left out; read-only ones ignored, unknown
    ones refused. With ident, the id property is checked as that value."""
    layer = _layer(layer_name)
    unknown = set(properties) - {p.name for p in layer.properties}
    if unknown:
        raise _invalid(
            f"unknown properties {', '.join(sorted(unknown))}; writable: {', '.join(p.name for p in layer.writable)}",
            "unknown_property",
            sorted(unknown)[0],
        )
    given = {**properties, layer.id_property: ident if ident is not None else properties.get(layer.id_property)}
    values, problems = check_properties(layer, given)
    if ident is None:  # the id is not this call's business
        problems = [p for p in problems if p.property != layer.id_property]
    if problems:
        raise _refuse(problems[0])
    return {name: value for name, value in values.items() if name != layer.id_property}


def check_geometry(layer_name: str, value) -> BaseGeometry:
    """A feature's GeoJSON geometry as shapely: of the layer's types, valid, non-empty, in lon/lat range."""
    layer = _layer(layer_name)
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in layer.accepts:
        raise _invalid(
            f"the geometry must be a {' or '.join(sorted(layer.accepts))} (GeoJSON, lon/lat)",
            "invalid_geometry_type",
            "geometry",
        )
    try:
        geom = shapely.geometry.shape(value)
    except Exception:  # noqa: BLE001 - shapely raises several kinds for malformed coordinates
        raise _invalid("the geometry's coordinates are not GeoJSON", "malformed_geometry", "geometry") from None
    wrong = check_geometry_of(layer, geom)
    if wrong:
        raise _invalid(wrong.message, wrong.code, "geometry")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):
        raise _invalid("coordinates must be longitude, latitude in WGS84 / CGCS2000", "invalid_geometry", "geometry")
    return geom


def feature_id(layer_name: str, feature: dict, path_id: str | None) -> str:
    """The id of a feature: the path's, the body's id member or its id property; all that are given agree."""
    layer = _layer(layer_name)
    given: list = []
    for value in (path_id, feature.get("id"), (feature.get("properties") or {}).get(layer.id_property)):
        if value is not None and value not in given:  # a list, not a set: a value may be a (wrong) list
            given.append(value)
    if not given:
        raise _invalid(
            f"give the feature an id (the property {layer.id_property})", "missing_property", layer.id_property
        )
    if len(given) > 1:
        raise _invalid(f"the feature's id and {layer.id_property} disagree", "id_mismatch", layer.id_property)
    (ident,) = given
    id_property = layer.prop(layer.id_property)
    values, problems = check_properties_of((id_property,), {id_property.name: ident}, id_property=id_property.name)
    if problems:
        raise _refuse(problems[0])
    return values[id_property.name]


def clean_feature(layer_name: str, feature, path_id: str | None = None) -> CleanFeature:
    """A GeoJSON Feature checked against its layer: id, properties as stored, geometry."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _invalid(
            'send one GeoJSON Feature: {"type": "Feature", "geometry": ..., "properties": {...}}', "invalid_feature"
        )
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise _invalid("properties must be an object", "invalid_feature", "properties")
    ident = feature_id(layer_name, feature, path_id)
    return CleanFeature(
        ident, clean_properties(layer_name, properties, ident), check_geometry(layer_name, feature.get("geometry"))
    )
