"""Request bodies declared once: each field's name, JSON type, whether it is required, its enum and limits,
and the stable error code of each defect.

The domain parsers read a body through its declaration (`read`), and api/schemas.py generates the
marshmallow schema of the OpenAPI document from the same declaration, so the document cannot drift
from what the parser takes. A field whose value needs more than a type, an enum and limits (a GeoJSON
Point, a CRS name) names a `parse` function; the codes it can raise are listed in `codes`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from gisapp.errors import ValidationFailed

# the JSON types a declaration speaks of; "any": checked by the field's parse function alone
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "any": (object,),
}


@dataclass(frozen=True)
class Field:
    """One field of a body; `code` is the code of a wrong value, `missing` of a required field left out."""

    name: str
    type: str
    code: str
    required: bool = False
    missing: str | None = None  # default: `code`
    enum: tuple[str, ...] = ()
    min_length: int | None = None  # of a string, or of an array
    max_length: int | None = None
    items: str | None = None  # an array's item type (strings: 1..max_item_length characters)
    max_item_length: int | None = None
    nested: Body | None = None  # an object's fields (documentation; `parse` checks them)
    # after the type check: the typed value, or ValidationFailed. Its argument is Any: it already has the
    # declared JSON type (a str for "string", a dict for "object" ...), which the annotation cannot tie to `type`
    parse: Callable[[Any], object] | None = None
    default: object = None  # an absent optional field's value (parsed like a given one)
    codes: tuple[str, ...] = ()  # the codes `parse` raises besides `code`
    description: str = ""
    message: str = ""  # what a user is told about a wrong value
    missing_message: str = ""  # ... and about a required field left out

    def all_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.code, *((self.missing,) if self.missing else ()), *self.codes)))


@dataclass(frozen=True)
class Body:
    """A JSON object body: its fields in the order they are checked (the first defect is the one reported)."""

    fields: tuple[Field, ...]
    invalid: str = "send a JSON object"  # the message of a body that is no object (code invalid_body)
    invalid_field: str = "body"
    closed: bool = True  # unknown fields are refused (unknown_field)
    description: str = ""
    extra_codes: tuple[str, ...] = field(default=())  # codes of rules across fields, checked by the parser

    @property
    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    def codes(self) -> tuple[str, ...]:
        """Every code reading this body can answer."""
        found = ["invalid_body", *(["unknown_field"] if self.closed else [])]
        for f in self.fields:
            found += f.all_codes()
        return tuple(dict.fromkeys([*found, *self.extra_codes]))


def refuse(code: str, message: str, field_name: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field_name)


def _message(f: Field) -> str:
    if f.message:
        return f.message
    if f.enum:
        return f"{f.name} is one of " + ", ".join(f.enum)
    return f"{f.name}: {_describe(f)}"


def _describe(f: Field) -> str:
    if f.type == "string" and f.max_length is not None:
        low = f.min_length or 0
        return (
            f"a string of {low} to {f.max_length} characters"
            if low
            else f"a string of at most {f.max_length} characters"
        )
    if f.type == "array":
        return f"a list of at most {f.max_length} non-empty texts"
    return f"a JSON {f.type}"


def _has_type(value: object, json_type: str) -> bool:
    if json_type in ("integer", "number") and isinstance(value, bool):
        return False
    if json_type == "number" and isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, JSON_TYPES[json_type])


def _check(f: Field, value: object) -> object:
    bad = refuse(f.code, _message(f), f.name)
    if not _has_type(value, f.type):
        raise bad
    if f.enum and value not in f.enum:
        raise bad
    if isinstance(value, (str, list)):
        if (f.min_length is not None and len(value) < f.min_length) or (
            f.max_length is not None and len(value) > f.max_length
        ):
            raise bad
    # `items` is declared on arrays only, so the value is the list whose type was checked above
    if f.items is not None and not all(
        _has_type(v, f.items) and (f.max_item_length is None or 0 < len(v) <= f.max_item_length)
        for v in cast("list[Any]", value)
    ):
        raise bad
    return f.parse(value) if f.parse else value


def read(body: Body, value: object) -> dict[str, object]:
    """The declared fields of a decoded JSON body, checked in order; absent optional fields are None.

    >>> B = Body((Field("n", "integer", "invalid_n", required=True),))
    >>> read(B, {"n": 3})
    {'n': 3}
    >>> read(B, {"n": True})
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: n: a JSON integer
    """
    if not isinstance(value, dict):
        raise refuse("invalid_body", body.invalid, body.invalid_field)
    if body.closed:
        unknown = sorted(set(value) - body.names)
        if unknown:
            raise refuse(
                "unknown_field",
                f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(body.names))}",
                unknown[0],
            )
    out: dict[str, object] = {}
    for f in body.fields:
        given = value.get(f.name)
        if given is None:
            if f.required:
                raise refuse(f.missing or f.code, f.missing_message or f"{f.name} is required: {_message(f)}", f.name)
            out[f.name] = f.parse(f.default) if f.parse and f.default is not None else f.default
            continue
        out[f.name] = _check(f, given)
    return out
