"""Query parameters of the OGC API - Features (Part 1 Core, Part 3 queryables): unknown or invalid ones are 400."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta, timezone

from flask import request

from gisapp.domain.layers import catalogue
from gisapp.errors import InvalidParameter

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 10
FORMATS = frozenset({"json", "geojson"})


def _bad(name: str, message: str) -> InvalidParameter:
    return InvalidParameter(f"{name}: {message}", field=name)


def check_known(allowed: set[str]) -> None:
    """Every parameter is one the API defines for this resource, and given once (/req/core/query-param-unknown)."""
    for name in request.args:
        if name not in allowed:
            raise _bad(name, f"unknown parameter; this resource takes {', '.join(sorted(allowed)) or 'none'}")
        if len(request.args.getlist(name)) > 1:
            raise _bad(name, "give it once")
    fmt = request.args.get("f")
    if fmt is not None and fmt not in FORMATS:
        raise _bad("f", "only json (GeoJSON for features) is offered")


def integer(name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(name, "must be an integer") from None
    if not minimum <= value <= maximum:
        raise _bad(name, f"must be between {minimum} and {maximum}")
    return value


def bbox() -> tuple[float, float, float, float] | None:
    """minlon,minlat,maxlon,maxlat (or with min/max heights, which are ignored) in CRS84."""
    raw = request.args.get("bbox")
    if raw is None:
        return None
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if len(values) not in (4, 6) or not all(math.isfinite(v) for v in values):
        raise _bad("bbox", "four numbers: minlon,minlat,maxlon,maxlat (CRS84)")
    minx, miny, maxx, maxy = values if len(values) == 4 else (values[0], values[1], values[3], values[4])
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise _bad(
            "bbox",
            "needs minlon ≤ maxlon within -180..180 and minlat ≤ maxlat within -90..90 "
            "(a box across the antimeridian is not supported)",
        )
    return minx, miny, maxx, maxy


def _moment(text: str, *, end: bool) -> datetime:
    """An RFC 3339 date-time, or a date (its first or, at an interval's end, its last instant); UTC if no offset."""
    try:
        if "T" not in text.upper():
            day = datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(), timezone.utc)
            return day + timedelta(days=1, microseconds=-1) if end else day
        value = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise _bad("datetime", f"{text!r} is not an RFC 3339 date-time such as 2026-11-01T08:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def datetime_span(layer: str) -> tuple[datetime | None, datetime | None] | None:
    """An instant or a closed or half-open interval (`..` or empty for an open end), on the layer's write time."""
    raw = request.args.get("datetime")
    if raw is None:
        return None
    if catalogue()[layer].source.time is None:
        raise _bad("datetime", f"the collection {layer} has no time to filter on")
    if "/" not in raw:
        return _moment(raw, end=False), _moment(raw, end=True)
    start_text, _, end_text = raw.partition("/")
    start = None if start_text in ("", "..") else _moment(start_text, end=False)
    end = None if end_text in ("", "..") else _moment(end_text, end=True)
    if start and end and start > end:
        raise _bad("datetime", "the interval ends before it starts")
    return start, end


def _typed(name: str, kind: str, raw: str):
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise _bad(name, "must be an integer") from None
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise _bad(name, "must be true or false")
        return raw == "true"
    return raw


def property_filters(layer: str) -> dict[str, object]:
    """?property=value for the layer's queryables, typed."""
    return {
        p.name: _typed(p.name, p.type, request.args[p.name])
        for p in catalogue()[layer].queryables
        if p.name in request.args
    }


def item_parameters(layer: str) -> set[str]:
    """The query parameters /collections/{layer}/items takes."""
    declared = catalogue()[layer]
    standard = {"f", "limit", "offset", "bbox"} | ({"datetime"} if declared.source.time else set())
    return standard | {p.name for p in declared.queryables}
