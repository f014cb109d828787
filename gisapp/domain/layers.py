"""The map layers, each declared once in layers/*.toml and loaded here into frozen definitions.

Everything about a layer that more than one consumer needs lives in its file: the source view it is read
from (sql/038) and the table edits and imports write, its id property, geometry types, every property with
its type, label, bounds, pattern, allowed values, whether it is required (else its default), read only,
or a queryable, and the view's time and version columns. The GeoJSON layers, the OGC API (collections,
queryables, schema, Part 4 edits), tiles, export, import and the planner's forms derive from it.

`check_properties` is the one check of a feature's property values: import and edit both call it, so they
refuse the same values with the same codes. A file that is not a valid declaration fails to load, naming
the file and the key.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import shapely
from shapely.validation import explain_validity

LAYERS_DIR = Path(__file__).resolve().parents[2] / "layers"
TYPES = ("string", "integer", "number", "boolean", "object")
GEOMETRY_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")
BOUNDS = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
PROPERTY_KEYS = frozenset(
    {"type", "label", "required", "default", "values", "pattern", "max_length", "read_only", "queryable", *BOUNDS}
)
LAYER_KEYS = frozenset(
    {
        "name",
        "title",
        "title_en",
        "geometry_type",
        "accepts",
        "min_zoom",
        "order",
        "id",
        "editable",
        "source",
        "properties",
        "style",
    }
)
SOURCE_KEYS = frozenset({"file", "table", "view", "time", "version", "derived_from"})
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")  # a column or view name, safe to put into SQL
# text that PostgreSQL cannot store (NUL) or that is not Unicode text at all (a lone UTF-16 surrogate)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
TRUE, FALSE = ("1", "true", "t", "yes", "y", "是", "在线"), ("0", "false", "f", "no", "n", "否", "离线")


class LayerDeclarationError(ValueError):
    """A layers/*.toml file that is not a valid declaration: which file, which key, what is wrong."""

    def __init__(self, file: str, key: str, message: str):
        super().__init__(f"{file}: {key}: {message}")
        self.file, self.key = file, key


@dataclass(frozen=True)
class Property:
    """One property of a layer's features: its JSON type and, for writable ones, what a value must be."""

    name: str
    type: str
    label: str
    read_only: bool = False  # computed by the view (a road's length); ignored when sent
    required: bool = True  # writable ones only: else `default` is stored when it is absent
    default: object = None
    values: tuple[str, ...] = ()  # the allowed values of a string
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    pattern: str | None = None  # a regular expression a string matches as a whole
    max_length: int | None = None
    queryable: bool = False  # /ogc/collections/{id}/items?name=value

    def json_schema(self) -> dict:
        """The property as JSON Schema (OGC API - Features Part 5 style)."""
        out: dict = {"title": self.label, "type": self.type}
        if self.read_only:
            out["readOnly"] = True
        anchored = f"^(?:{self.pattern})$" if self.pattern else None  # JSON Schema patterns are not anchored
        for key, value in (
            ("enum", list(self.values) or None),
            ("pattern", anchored),
            ("maxLength", self.max_length),
            ("minimum", self.minimum),
            ("maximum", self.maximum),
            ("exclusiveMinimum", self.exclusive_minimum),
            ("exclusiveMaximum", self.exclusive_maximum),
        ):
            if value is not None:
                out[key] = value
        if self.default is not None:
            out["default"] = self.default
        return out

    def describe(self) -> dict:
        """The property as declared (the layers index of /api/v1/layers)."""
        out: dict[str, object] = {"type": self.type, "label": self.label}
        for key in ("values", "pattern", "max_length", *BOUNDS, "default"):
            value = getattr(self, key)
            if value not in (None, ()):
                out[key] = list(value) if isinstance(value, tuple) else value
        if self.read_only:
            out["read_only"] = True
        elif not self.required:
            out["required"] = False
        return out


@dataclass(frozen=True)
class Source:
    """Where a layer's features are read (a view, alias t in the services' SQL) and written (a table)."""

    view: str
    table: str | None = None
    file: str | None = None  # the demo data, relative to layers/
    time: str | None = None  # the view's column of a feature's last write (OGC `datetime`)
    version: str | None = None  # the view's column of a feature's version (its ETag)
    derived_from: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layer:
    """One map layer as declared in layers/<id>.toml."""

    id: str  # the API name: the file's stem (key-roads)
    name: str  # the table name (key_roads)
    title: str
    title_en: str
    geometry_type: str  # as stored and served
    accepts: tuple[str, ...]  # the geometry types an edit or import may send
    min_zoom: int
    order: int  # the layers are listed (and drawn) in this order
    id_property: str
    editable: bool  # OGC Part 4 edits and imports
    source: Source
    properties: tuple[Property, ...]
    style: Mapping[str, object]

    def prop(self, name: str) -> Property:
        return next(p for p in self.properties if p.name == name)

    @property
    def writable(self) -> tuple[Property, ...]:
        """The properties an edit or import sets, the id first."""
        return tuple(p for p in self.properties if not p.read_only)

    @property
    def queryables(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.queryable)

    def describe(self) -> dict:
        """The layer as the layers index shows it (title, geometry type, properties, style ...)."""
        source = {
            k: v
            for k, v in (
                ("file", self.source.file),
                ("table", self.source.table),
                ("derived_from", list(self.source.derived_from) or None),
            )
            if v is not None
        }
        return {
            "name": self.id,
            "title": self.title,
            "title_en": self.title_en,
            "geometry_type": self.geometry_type,
            "min_zoom": self.min_zoom,
            "source": source,
            "id": self.id_property,
            "editable": self.editable,
            "properties": {p.name: p.describe() for p in self.properties},
            "style": dict(self.style),
        }

    def json_schema(self) -> dict:
        """The features' properties as one JSON Schema object: what a form or a client needs to write one."""
        required = [p.name for p in self.writable if p.required] if self.editable else []
        return {
            "type": "object",
            "title": self.title,
            "x-id-property": self.id_property,
            "x-geometry-types": list(self.accepts),
            "x-editable": self.editable,
            "x-version": self.source.version is not None,
            "properties": {p.name: p.json_schema() for p in self.properties},
            "required": required,
        }


# --- loading ------------------------------------------------------------------------------------------


def _expect(file: str, key: str, ok: bool, message: str) -> None:
    if not ok:
        raise LayerDeclarationError(file, key, message)


def _number_or_none(file: str, key: str, value) -> float | None:
    _expect(
        file,
        key,
        value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)),
        "must be a finite number",
    )
    return value


def _string_rules(file: str, key: str, raw: dict, kind: str) -> tuple[list, str | None, int | None]:
    """A property's allowed values, pattern and max length: each for a string only, each well formed."""
    values = raw.get("values", [])
    _expect(
        file,
        f"{key}.values",
        isinstance(values, list) and all(isinstance(v, str) for v in values) and (not values or kind == "string"),
        "must be a list of texts, for a string",
    )
    pattern = raw.get("pattern")
    if pattern is not None:
        _expect(file, f"{key}.pattern", isinstance(pattern, str) and kind == "string", "must be a text, for a string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise LayerDeclarationError(file, f"{key}.pattern", f"not a regular expression: {exc}") from None
    max_length = raw.get("max_length")
    _expect(
        file,
        f"{key}.max_length",
        max_length is None or (type(max_length) is int and max_length > 0 and kind == "string"),
        "must be a positive integer",
    )
    return values, pattern, max_length


def _property(file: str, name: str, raw, editable: bool) -> Property:
    key = f"properties.{name}"
    _expect(file, key, isinstance(raw, dict), "must be a table { type = ..., label = ... }")
    unknown = set(raw) - PROPERTY_KEYS
    _expect(
        file,
        f"{key}.{min(unknown) if unknown else ''}",
        not unknown,
        f"unknown key; a property takes {', '.join(sorted(PROPERTY_KEYS))}",
    )
    _expect(file, key, IDENTIFIER.match(name) is not None, "a property name is a column name (a-z, 0-9, _)")
    kind = raw.get("type")
    _expect(file, f"{key}.type", kind in TYPES, f"must be one of {', '.join(TYPES)}")
    _expect(file, f"{key}.label", isinstance(raw.get("label"), str) and raw["label"].strip(), "must be a text")
    bounds = {b: _number_or_none(file, f"{key}.{b}", raw.get(b)) for b in BOUNDS}
    _expect(
        file,
        key,
        kind in ("integer", "number") or not any(v is not None for v in bounds.values()),
        "bounds are for numbers",
    )
    values, pattern, max_length = _string_rules(file, key, raw, kind)
    for flag in ("required", "read_only", "queryable"):
        _expect(file, f"{key}.{flag}", isinstance(raw.get(flag, False), bool), "must be true or false")
    read_only = raw.get("read_only", not editable)
    required = raw.get("required", not read_only)
    _expect(file, f"{key}.default", "default" not in raw or not required, "only an optional property has one")
    prop = Property(
        name,
        kind,
        raw["label"],
        read_only,
        required,
        raw.get("default"),
        tuple(values),
        pattern=pattern,
        max_length=max_length,
        queryable=raw.get("queryable", False),
        **bounds,
    )
    if prop.default is not None:
        problem = next(iter(check_properties_of((prop,), {name: prop.default})[1]), None)
        _expect(file, f"{key}.default", problem is None, problem.message if problem else "")
    return prop


def _source(file: str, raw) -> Source:
    _expect(file, "source", isinstance(raw, dict), "must be a table")
    unknown = set(raw) - SOURCE_KEYS
    _expect(
        file,
        f"source.{min(unknown) if unknown else ''}",
        not unknown,
        f"unknown key; [source] takes {', '.join(sorted(SOURCE_KEYS))}",
    )
    for key in ("view", "table", "time", "version"):
        value = raw.get(key)
        _expect(
            file,
            f"source.{key}",
            (value is None and key != "view") or (isinstance(value, str) and IDENTIFIER.match(value) is not None),
            "must be a table, view or column name",
        )
    return Source(
        raw["view"],
        raw.get("table"),
        raw.get("file"),
        raw.get("time"),
        raw.get("version"),
        tuple(raw.get("derived_from", ())),
    )


def parse_layer(file: str, raw: dict) -> Layer:
    """A layer from one file's TOML (file: its name, for the errors); LayerDeclarationError if it is not valid."""
    unknown = set(raw) - LAYER_KEYS
    _expect(
        file,
        min(unknown) if unknown else "",
        not unknown,
        f"unknown key; a layer takes {', '.join(sorted(LAYER_KEYS))}",
    )
    for key in ("name", "title", "title_en", "id"):
        _expect(file, key, isinstance(raw.get(key), str) and raw[key].strip(), "must be a text")
    _expect(file, "geometry_type", raw.get("geometry_type") in GEOMETRY_TYPES, f"one of {', '.join(GEOMETRY_TYPES)}")
    accepts = raw.get("accepts", [raw["geometry_type"]])
    _expect(
        file,
        "accepts",
        bool(isinstance(accepts, list) and accepts and set(accepts) <= set(GEOMETRY_TYPES)),
        f"a list of {', '.join(GEOMETRY_TYPES)}",
    )
    _expect(file, "min_zoom", type(raw.get("min_zoom")) is int and 0 <= raw["min_zoom"] <= 22, "an integer 0..22")
    _expect(file, "order", type(raw.get("order")) is int, "an integer: where the layer comes in the list")
    editable = raw.get("editable", False)
    _expect(file, "editable", isinstance(editable, bool), "must be true or false")
    props = raw.get("properties")
    _expect(file, "properties", isinstance(props, dict) and bool(props), "must be a table of properties")
    assert isinstance(props, dict)  # _expect above raised otherwise
    properties = tuple(_property(file, name, value, editable) for name, value in props.items())
    source = _source(file, raw.get("source"))
    id_property = raw["id"]
    _expect(file, "id", id_property in props, "must name one of the properties")
    ident = next(p for p in properties if p.name == id_property)
    _expect(
        file,
        f"properties.{id_property}",
        ident.type == "string" and ident.required and not ident.read_only or not editable,
        "an editable layer's id is a required, writable string",
    )
    _expect(file, "source.table", source.table is not None or not editable, "an editable layer names its table")
    style = raw.get("style", {})
    _expect(file, "style", isinstance(style, dict), "must be a table of Leaflet path options")
    return Layer(
        Path(file).stem,
        raw["name"],
        raw["title"],
        raw["title_en"],
        raw["geometry_type"],
        tuple(accepts),
        raw["min_zoom"],
        raw["order"],
        id_property,
        editable,
        source,
        properties,
        MappingProxyType(dict(style)),
    )


def load_layers(directory: Path) -> dict[str, Layer]:
    """Every layers/*.toml of a directory by API name, in file-name order; LayerDeclarationError at the first bad
    one."""
    out = {}
    for path in sorted(Path(directory).glob("*.toml")):
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise LayerDeclarationError(path.name, "", f"not TOML: {exc}") from None
        out[path.stem] = parse_layer(path.name, raw)
    if not out:
        raise LayerDeclarationError(str(directory), "", "no *.toml layer declarations")
    return dict(sorted(out.items(), key=lambda item: item[1].order))


@lru_cache(maxsize=4)
def catalogue(directory: Path = LAYERS_DIR) -> MappingProxyType:
    """The declared layers by API name (layers/*.toml), loaded once."""
    return MappingProxyType(load_layers(directory))


def layer(name: str) -> Layer | None:
    """A declared layer by API name (None: no such layer)."""
    return catalogue().get(name)


# --- one check of property values, for import and edit ---------------------------------------------------


@dataclass(frozen=True)
class PropertyProblem:
    property: str
    code: str  # missing_property, invalid_property, out_of_range, invalid_feature_id
    message: str


class _Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _from_text(prop: Property, value):
    """A value read from a file whose cells are text (CSV) or loosely typed (Shapefile, GeoPackage)."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if prop.type in ("integer", "number"):
            try:
                return float(value) if not re.search(r"[_\s]", value) else value
            except ValueError:
                return value
        if prop.type == "boolean":
            lowered = value.lower()
            return True if lowered in TRUE else False if lowered in FALSE else value
        return value
    if prop.type == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return (
            str(int(value)) if isinstance(value, int) or (math.isfinite(value) and value.is_integer()) else str(value)
        )
    if prop.type == "boolean" and isinstance(value, (int, float)) and value in (0, 1) and not isinstance(value, bool):
        return bool(value)
    return value


def _bounds_text(prop: Property) -> str:
    low = (
        f"≥ {prop.minimum:g}"
        if prop.minimum is not None
        else f"> {prop.exclusive_minimum:g}"
        if prop.exclusive_minimum is not None
        else ""
    )
    high = (
        f"≤ {prop.maximum:g}"
        if prop.maximum is not None
        else f"< {prop.exclusive_maximum:g}"
        if prop.exclusive_maximum is not None
        else ""
    )
    return " and ".join(p for p in (low, high) if p)


def _number(prop: Property, value) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Refused("invalid_property", f"{prop.name} must be a number, not {_shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _Refused("invalid_property", f"{prop.name} must be a finite number")
    if prop.type == "integer" and isinstance(value, float) and not value.is_integer():
        raise _Refused("invalid_property", f"{prop.name} must be a whole number")
    # compared as given: a huge integer is out of range, never converted to float first (it would overflow)
    outside = (
        (prop.minimum is not None and value < prop.minimum)
        or (prop.maximum is not None and value > prop.maximum)
        or (prop.exclusive_minimum is not None and value <= prop.exclusive_minimum)
        or (prop.exclusive_maximum is not None and value >= prop.exclusive_maximum)
    )
    if outside or abs(value) > 2**53:  # beyond what a JSON number keeps exactly: no column of ours holds it
        raise _Refused("out_of_range", f"{prop.name} must be {_bounds_text(prop) or 'within ±2^53'}")
    return int(value) if prop.type == "integer" else float(value)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _string(prop: Property, value, is_id: bool) -> str:
    if not isinstance(value, str):
        raise _Refused("invalid_property", f"{prop.name} must be a text, not {_shown(value)}")
    if UNSTORABLE.search(value):
        raise _Refused("invalid_property", f"{prop.name} holds a NUL character or a lone surrogate: not text")
    value = value.strip()
    if not value:
        raise _Refused("invalid_property", f"{prop.name} must not be empty")
    if prop.max_length is not None and len(value) > prop.max_length:
        raise _Refused("invalid_property", f"{prop.name} is longer than {prop.max_length} characters")
    if prop.values and value not in prop.values:
        raise _Refused("invalid_property", f"{prop.name} must be one of {', '.join(prop.values)}")
    if prop.pattern is not None and not re.fullmatch(prop.pattern, value):
        raise _Refused(
            "invalid_feature_id" if is_id else "invalid_property",
            f"{prop.name} {_shown(value)} is not well formed ({prop.pattern})",
        )
    return value


def check_value(prop: Property, value, *, is_id: bool = False):
    """A present value as stored, or _Refused."""
    if prop.type == "boolean":
        if not isinstance(value, bool):
            raise _Refused("invalid_property", f"{prop.name} must be true or false, not {_shown(value)}")
        return value
    if prop.type in ("integer", "number"):
        return _number(prop, value)
    if prop.type == "string":
        return _string(prop, value, is_id)
    raise _Refused("invalid_property", f"{prop.name} is not writable")


def check_properties_of(
    props: tuple[Property, ...], given: Mapping, *, id_property: str | None = None, loose: bool = False
) -> tuple[dict, list[PropertyProblem]]:
    """The values to store of these properties (defaults filled in) and what is wrong with the given ones.

    given: property name -> value; absent or None (JSON null, an empty cell) means not given. loose: the
    values come from a file of text cells (CSV) or loose types (Shapefile, GeoPackage): "12" is a number there,
    "是" true, and an empty text not given. JSON (GeoJSON, the OGC API) is taken as typed.
    """
    values, problems = {}, []
    for prop in props:
        raw = given.get(prop.name)
        if loose and raw is not None:
            raw = _from_text(prop, raw)
        if raw is None:
            if prop.required:
                problems.append(PropertyProblem(prop.name, "missing_property", f"the property {prop.name} is required"))
            values[prop.name] = prop.default
            continue
        try:
            values[prop.name] = check_value(prop, raw, is_id=prop.name == id_property)
        except _Refused as refused:
            problems.append(PropertyProblem(prop.name, refused.code, str(refused)))
    return values, problems


def check_properties(layer_def: Layer, given: Mapping, *, loose: bool = False) -> tuple[dict, list[PropertyProblem]]:
    """A feature's writable properties (its id among them) checked against its layer's declaration.

    >>> cameras = catalogue()["cameras"]
    >>> check_properties(cameras, {"device_id": "32010200001320000001", "name": "x", "azimuth_deg": 0,
    ...                            "fov_deg": 90, "range_m": 5001})[1][0].code
    'out_of_range'
    """
    return check_properties_of(layer_def.writable, given, id_property=layer_def.id_property, loose=loose)


@dataclass(frozen=True)
class GeometryProblem:
    code: str  # empty_geometry, invalid_geometry_type, invalid_geometry
    message: str
    where: object = None  # shapely geometry: where the problem is (an invalidity's point), or None


def check_geometry_of(layer_def: Layer, geom) -> GeometryProblem | None:
    """What is wrong with a feature's shapely geometry for its layer (None when nothing): the one geometry check
    of import and edit, so both refuse the same shapes with the same codes.

    >>> check_geometry_of(catalogue()["cameras"], shapely.LineString([(0, 0), (1, 1)])).code
    'invalid_geometry_type'
    >>> check_geometry_of(catalogue()["grids"], shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])).message
    'the geometry is not valid: Self-intersection[0.5 0.5]'
    """
    if geom.is_empty:
        return GeometryProblem("empty_geometry", "the geometry is empty")
    if geom.geom_type not in layer_def.accepts:
        return GeometryProblem(
            "invalid_geometry_type",
            f"a {layer_def.id} feature is a {' or '.join(sorted(layer_def.accepts))}, not a {geom.geom_type}",
            geom.representative_point(),
        )
    if not geom.is_valid:
        reason = explain_validity(geom)
        match = re.search(r"\[([-0-9.e]+) ([-0-9.e]+)\]", reason)
        where = shapely.Point(float(match.group(1)), float(match.group(2))) if match else geom
        return GeometryProblem("invalid_geometry", f"the geometry is not valid: {reason}", where)
    return None
