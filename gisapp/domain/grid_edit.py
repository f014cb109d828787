"""The bodies of the grid-edit routes (issue 5), declared once: the parsers below read them, and the OpenAPI
document is generated from them (api/schemas.py). The service receives typed values: grid items with
shapely geometries, dates, booleans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import shapely.geometry
from shapely.geometry.base import BaseGeometry

from gisapp.domain.body import Body, Field, read, refuse
from gisapp.domain.layers import catalogue, check_properties_of


@dataclass(frozen=True)
class GridItem:
    """A grid as an edit gives it: its code, its new shape, and (a created grid) its name."""

    code: str
    geometry: BaseGeometry
    name: str | None = None


def geometry_of(value: object, code: str, field_name: str) -> BaseGeometry:
    """A GeoJSON geometry as shapely, or malformed_geometry.

    >>> geometry_of({"type": "Point", "coordinates": [1, 2]}, "g", "line").wkt
    'POINT (1 2)'
    >>> geometry_of({"type": "Line"}, "g", "line")
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: the geometry of g is not GeoJSON
    """
    try:
        return shapely.geometry.shape(value)
    except Exception:  # noqa: BLE001 - shapely raises several kinds for malformed GeoJSON
        raise refuse("malformed_geometry", f"the geometry of {code} is not GeoJSON", field_name) from None


def _code_of(item: object, field_name: str) -> str:
    code = item.get("code") if isinstance(item, dict) else item
    if not isinstance(code, str):
        raise refuse("invalid_body", f"{field_name}: each item names a grid code", field_name)
    return code


def _items(field_name: str):
    def parse(value: list) -> tuple[GridItem, ...]:
        out = []
        for item in value:
            code = _code_of(item if isinstance(item, dict) else None, field_name)
            name = _new_name(code, item.get("name")) if field_name == "creates" else None
            out.append(GridItem(code, geometry_of(item.get("geometry"), code, field_name), name))
        return tuple(out)

    return parse


def _new_name(code: str, name: object) -> str | None:
    """A created grid's name, checked as the grids layer declares it (layers/grids.toml: text, at most 200
    characters, the same check as an import's and an OGC edit's); None when it is not given (missing_name)."""
    if name is None or (isinstance(name, str) and not name.strip()):
        return None
    values, problems = check_properties_of((catalogue()["grids"].prop("name"),), {"name": name})
    if problems:
        raise refuse(problems[0].code, f"the new grid {code}: {problems[0].message}", "creates")
    return str(values["name"])


def _retires(value: list) -> tuple[str, ...]:
    return tuple(_code_of(item, "retires") for item in value)


def _reason(value: str) -> str:
    if not value.strip():
        raise refuse("missing_reason", REASON, "reason")
    return value.strip()


def _effective(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise refuse("invalid_effective_date", "effective_date: YYYY-MM-DD", "effective_date") from None


def _also(value: list) -> dict[str, int]:
    if not all(
        isinstance(a, dict) and isinstance(a.get("version"), int) and not isinstance(a["version"], bool) for a in value
    ):
        raise refuse("invalid_version", VERSION, "version")
    return {str(a.get("code")): a["version"] for a in value}


REASON = "say why (reason): it is kept with the version"
VERSION = "version: an integer; also: a list of {code, version}; retires: a list of codes"
_reason_field = Field(
    "reason",
    "string",
    "missing_reason",
    required=True,
    missing="invalid_body",
    parse=_reason,
    message=REASON,
    missing_message=REASON,
    description="why: kept with the version",
)
_preview = Field(
    "preview",
    "any",
    "invalid_body",
    parse=bool,
    default=False,
    description="true: check and answer the impact, change nothing",
)
_effective_field = Field(
    "effective_date",
    "string",
    "invalid_effective_date",
    parse=_effective,
    message="effective_date: YYYY-MM-DD",
    description="YYYY-MM-DD (default: today)",
)


def _layout_fields() -> tuple[Field, ...]:
    items = "changes: [{code, geometry}]", "creates: [{code, name, geometry}]"
    return (
        Field(
            "changes",
            "array",
            "invalid_body",
            items="object",
            parse=_items("changes"),
            default=[],
            codes=("malformed_geometry",),
            description=items[0],
        ),
        Field(
            "creates",
            "array",
            "invalid_body",
            items="object",
            parse=_items("creates"),
            default=[],
            codes=("malformed_geometry",),
            description=items[1],
        ),
        Field("retires", "array", "invalid_body", parse=_retires, default=[], description="grid codes"),
    )


LAYOUT_MESSAGE = "changes, creates, retires: lists, at least one not empty"
# PUT /communities/<code>/grids; unknown fields are let through, as they always were
EDIT = Body(
    (_reason_field, *_layout_fields(), _effective_field, _preview),
    closed=False,
    invalid="send a JSON object with reason",
)
FIX = Body(_layout_fields(), closed=False, invalid="send a JSON object with changes, creates or retires")
SPLIT = Body(
    (
        _reason_field,
        Field(
            "line",
            "object",
            "malformed_geometry",
            required=True,
            missing="invalid_body",
            parse=lambda v: geometry_of(v, "the split line", "line"),
            description="a GeoJSON LineString",
        ),
        Field("new_code", "string", "bad_grid_code", description="the new grid's code (default: the next one)"),
        Field("new_name", "string", "missing_name", description="the new grid's name"),
        _preview,
    ),
    closed=False,
    invalid="send a JSON object with line, reason",
)
MERGE = Body(
    (
        _reason_field,
        Field(
            "with",
            "string",
            "different_communities",
            required=True,
            missing="invalid_body",
            message="merge a grid with another grid of the same community",
            description="the neighbour's code: it retires",
        ),
        _preview,
    ),
    closed=False,
    invalid="send a JSON object with with, reason",
)
RESTORE = Body(
    (
        _reason_field,
        Field("version", "integer", "invalid_version", required=True, missing="invalid_body", message=VERSION),
        Field(
            "also",
            "array",
            "invalid_version",
            items="object",
            parse=_also,
            default=[],
            message=VERSION,
            description="other grids restored in the same edit: [{code, version}]",
        ),
        Field(
            "retires",
            "array",
            "invalid_version",
            items="string",
            parse=tuple,
            default=[],
            message=VERSION,
            description="grid codes retired by the restore (undoing a split)",
        ),
        _preview,
    ),
    closed=False,
    invalid="send a JSON object with version, reason",
)


def parse_layout_edit(body: object, declaration: Body = EDIT) -> dict:
    """An edit's (or a fix request's) typed values: changes and creates as GridItems, retires as codes."""
    got = read(declaration, body)
    if not (got["changes"] or got["creates"] or got["retires"]):
        raise refuse("invalid_body", LAYOUT_MESSAGE, "changes")
    return got


def parse_grid_body(declaration: Body, body: object) -> dict:
    """The typed values of a split, merge or restore body."""
    return read(declaration, body)
