"""Query-string parsing with stable error codes (422), shared by the API views."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from flask import request
from marshmallow import ValidationError as MarshmallowError

from gisapp.errors import ValidationFailed

INT8_MAX = 2**63 - 1


def bbox_param(name: str = "bbox") -> tuple[float, float, float, float] | None:
    """minlon,minlat,maxlon,maxlat as four finite numbers in range with min < max."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        values = tuple(float(v) for v in raw.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValidationFailed(
            "bbox must be four numbers: minlon,minlat,maxlon,maxlat", code="invalid_bbox", field=name
        )
    minx, miny, maxx, maxy = values
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise ValidationFailed(
            "bbox must have minlon < maxlon within -180..180 and minlat < maxlat within -90..90",
            code="invalid_bbox",
            field=name,
        )
    return minx, miny, maxx, maxy


def int_param(name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    """An integer parameter; values above maximum are clamped, below minimum rejected."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be an integer", code=f"invalid_{name}", field=name) from None
    if value < minimum:
        raise ValidationFailed(f"{name} must be at least {minimum}", code=f"invalid_{name}", field=name)
    if maximum is None and value > INT8_MAX:  # an offset beyond bigint: no row is that far, the database cannot say so
        raise ValidationFailed(f"{name} must be at most {INT8_MAX}", code=f"invalid_{name}", field=name)
    return min(value, maximum) if maximum is not None else value


def time_param(name: str) -> datetime | None:
    """An ISO 8601 time; a time without offset is taken as UTC."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{name} must be an ISO 8601 time such as 2026-11-28T08:00:00+08:00", code="invalid_time", field=name
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def float_param(name: str) -> float:
    """A required finite number."""
    raw = request.args.get(name)
    if raw is None:
        raise ValidationFailed(f"{name} is required", code="missing_coordinates", field=name)
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValidationFailed(f"{name} must be a number", code="invalid_coordinates", field=name)
    return value


def load_query(schema) -> dict:
    """The query string validated and typed by a marshmallow schema, with the app's stable codes (422):
    `repeated_parameter`, `unknown_parameter`, and per field its metadata's `error_code` (else
    `invalid_<field>`). Empty values count as absent."""
    args = request.args
    for name in args:
        if len(args.getlist(name)) > 1:
            raise ValidationFailed(f"give {_shown(name)} once", code="repeated_parameter", field=_shown(name))
    by_key = {field.data_key or name: field for name, field in schema.fields.items()}
    unknown = sorted(set(args) - set(by_key))
    if unknown:
        raise ValidationFailed(
            f"unknown parameter {_shown(unknown[0])}; allowed: {', '.join(sorted(by_key))}",
            code="unknown_parameter",
            field=_shown(unknown[0]),
        )
    try:
        return schema.load({k: v for k, v in args.items() if v != ""})
    except MarshmallowError as exc:
        key, messages = next(iter(sorted(exc.normalized_messages().items())))
        field = by_key.get(key)
        code = field.metadata.get("error_code", f"invalid_{key}") if field else "invalid_parameter"
        raise ValidationFailed(f"{key}: {' '.join(map(str, messages))}", code=code, field=key) from None


def _shown(name: str) -> str:
    """A parameter name safe to repeat in an answer (a client's odd bytes are not echoed)."""
    return name if name.isascii() and name.isprintable() and len(name) <= 32 else "(unprintable name)"
