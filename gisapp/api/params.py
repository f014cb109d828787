"""Query-string parsing with stable error codes (422), shared by the API views."""
from __future__ import annotations

import math
from datetime import datetime, timezone

from flask import request

from gisapp.errors import ValidationFailed


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
        raise ValidationFailed("bbox must be four numbers: minlon,minlat,maxlon,maxlat",
                               code="invalid_bbox", field=name)
    minx, miny, maxx, maxy = values
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise ValidationFailed("bbox must have minlon < maxlon within -180..180 and minlat < maxlat "
                               "within -90..90", code="invalid_bbox", field=name)
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
    return min(value, maximum) if maximum is not None else value


def time_param(name: str) -> datetime | None:
    """An ISO 8601 time; a time without offset is taken as UTC."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(f"{name} must be an ISO 8601 time such as 2026-11-28T08:00:00+08:00",
                               code="invalid_time", field=name) from None
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
