"""What an edited map feature must be (OGC API - Features Part 4), pure: the writable properties of each
editable layer with their types, codes and ranges (mirroring the CHECKs of sql/005_layers.sql and the
values of layers/*.toml), the geometry types it takes, and JSON merge patch (RFC 7396).

A feature comes in as GeoJSON; `clean_feature` returns its id, its properties as they will be stored
(defaults filled in) and its geometry as shapely, or raises ValidationFailed with a stable code and the
property concerned. Computed properties (a road's length, a grid's community name, its team) are read
only: sent back unchanged with a feature they are ignored.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from gisapp.errors import ValidationFailed


@dataclass(frozen=True)
class Rule:
    """One writable property: its JSON type, whether it is required (else its default), and its bounds."""

    kind: str                           # string, number, integer, boolean
    required: bool = True
    default: object = None
    values: tuple[str, ...] = ()        # allowed values of a string
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None          # exclusive lower bound
    below: float | None = None          # exclusive upper bound
    max_length: int = 200


@dataclass(frozen=True)
class Layer:
    """An editable layer: its id property and pattern, geometry types and properties."""

    id_property: str
    id_pattern: re.Pattern
    geometry_types: frozenset[str]
    properties: dict[str, Rule]
    computed: frozenset[str] = field(default_factory=frozenset)


NAME = Rule("string")
KEY_LOCATION_KINDS = ("transport_hub", "commercial", "government", "school", "hospital", "scenic", "residential")
LAYERS: dict[str, Layer] = {
    "grids": Layer("code", re.compile(r"^[0-9]{15}$"), frozenset({"Polygon", "MultiPolygon"}), {"name": NAME},
                   frozenset({"community_code", "community_name", "township_code", "team"})),
    "key-roads": Layer("code", re.compile(r"^[A-Za-z0-9_-]{1,32}$"), frozenset({"LineString", "MultiLineString"}),
                       {"name": NAME, "road_class": Rule("string", values=("trunk", "primary", "secondary"))},
                       frozenset({"length_m"})),
    "key-locations": Layer("code", re.compile(r"^[A-Za-z0-9_-]{1,32}$"),
                           frozenset({"Point", "Polygon", "MultiPolygon"}),
                           {"name": NAME, "kind": Rule("string", values=KEY_LOCATION_KINDS),
                            "risk_level": Rule("integer", required=False, default=1, minimum=1, maximum=3)}),
    # GB/T 28181 device id: 20 digits
    "cameras": Layer("device_id", re.compile(r"^[0-9]{20}$"), frozenset({"Point"}),
                     {"name": NAME, "azimuth_deg": Rule("number", minimum=0, below=360),
                      "fov_deg": Rule("number", above=0, maximum=360), "range_m": Rule("number", above=0),
                      "online": Rule("boolean", required=False, default=True)}),
}


@dataclass(frozen=True)
class CleanFeature:
    id: str
    properties: dict
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


def _check_number(name: str, rule: Rule, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _invalid(f"{name} must be a number", "invalid_property", name)
    if rule.kind == "integer" and value != int(value):
        raise _invalid(f"{name} must be a whole number", "invalid_property", name)
    out_of_range = ((rule.minimum is not None and value < rule.minimum) or
                    (rule.maximum is not None and value > rule.maximum) or
                    (rule.above is not None and value <= rule.above) or
                    (rule.below is not None and value >= rule.below))
    if out_of_range:
        low = f"≥ {rule.minimum}" if rule.minimum is not None else f"> {rule.above}" if rule.above is not None else ""
        high = f"≤ {rule.maximum}" if rule.maximum is not None else f"< {rule.below}" if rule.below is not None else ""
        raise _invalid(f"{name} must be {' and '.join(p for p in (low, high) if p)}", "out_of_range", name)
    return int(value) if rule.kind == "integer" else float(value)


def check_value(name: str, rule: Rule, value):
    """A property value as stored, or ValidationFailed.

    >>> check_value("risk_level", LAYERS["key-locations"].properties["risk_level"], 3)
    3
    >>> check_value("fov_deg", LAYERS["cameras"].properties["fov_deg"], 0)
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: fov_deg must be > 0 and ≤ 360
    """
    if rule.kind == "boolean":
        if not isinstance(value, bool):
            raise _invalid(f"{name} must be true or false", "invalid_property", name)
        return value
    if rule.kind in ("number", "integer"):
        return _check_number(name, rule, value)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"{name} must be a non-empty text", "invalid_property", name)
    if len(value) > rule.max_length:
        raise _invalid(f"{name} is longer than {rule.max_length} characters", "invalid_property", name)
    if rule.values and value not in rule.values:
        raise _invalid(f"{name} must be one of {', '.join(rule.values)}", "invalid_property", name)
    return value.strip()


def clean_properties(layer_name: str, properties: dict) -> dict:
    """The writable properties as stored (defaults filled in); computed ones ignored, unknown ones refused."""
    layer = LAYERS[layer_name]
    unknown = set(properties) - set(layer.properties) - layer.computed - {layer.id_property}
    if unknown:
        raise _invalid(f"unknown properties {', '.join(sorted(unknown))}; writable: "
                       f"{', '.join(layer.properties)}", "unknown_property", sorted(unknown)[0])
    out = {}
    for name, rule in layer.properties.items():
        if name not in properties:
            if rule.required:
                raise _invalid(f"the property {name} is required", "missing_property", name)
            out[name] = rule.default
        else:
            out[name] = check_value(name, rule, properties[name])
    return out


def check_geometry(layer_name: str, value) -> BaseGeometry:
    """A feature's GeoJSON geometry as shapely: of the layer's types, valid, non-empty, in lon/lat range."""
    layer = LAYERS[layer_name]
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in layer.geometry_types:
        raise _invalid(f"the geometry must be a {' or '.join(sorted(layer.geometry_types))} (GeoJSON, lon/lat)",
                       "invalid_geometry_type", "geometry")
    try:
        geom = shapely.geometry.shape(value)
    except Exception:  # noqa: BLE001 - shapely raises several kinds for malformed coordinates
        raise _invalid("the geometry's coordinates are not GeoJSON", "malformed_geometry", "geometry") from None
    if geom.is_empty:
        raise _invalid("the geometry is empty", "invalid_geometry", "geometry")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):
        raise _invalid("coordinates must be longitude, latitude in WGS84 / CGCS2000", "invalid_geometry", "geometry")
    if not geom.is_valid:
        raise _invalid(f"the geometry is not valid: {explain_validity(geom)}", "invalid_geometry", "geometry")
    return geom


def feature_id(layer_name: str, feature: dict, path_id: str | None) -> str:
    """The id of a feature: the path's, the body's id member or its id property; all that are given agree."""
    layer = LAYERS[layer_name]
    given = {v for v in (path_id, feature.get("id"), (feature.get("properties") or {}).get(layer.id_property))
             if v is not None}
    if not given:
        raise _invalid(f"give the feature an id (the property {layer.id_property})", "missing_property",
                       layer.id_property)
    if len(given) > 1:
        raise _invalid(f"the feature's id and {layer.id_property} disagree", "id_mismatch", layer.id_property)
    (ident,) = given
    if not isinstance(ident, str) or not layer.id_pattern.match(ident):
        raise _invalid(f"{layer.id_property} {ident!r} is not well formed ({layer.id_pattern.pattern})",
                       "invalid_feature_id", layer.id_property)
    return ident


def clean_feature(layer_name: str, feature, path_id: str | None = None) -> CleanFeature:
    """A GeoJSON Feature checked against its layer: id, properties as stored, geometry."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _invalid('send one GeoJSON Feature: {"type": "Feature", "geometry": ..., "properties": {...}}',
                       "invalid_feature")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise _invalid("properties must be an object", "invalid_feature", "properties")
    ident = feature_id(layer_name, feature, path_id)
    return CleanFeature(ident, clean_properties(layer_name, properties), check_geometry(layer_name,
                                                                                        feature.get("geometry")))
