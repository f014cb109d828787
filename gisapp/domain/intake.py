"""Validation of an incoming event report: every defect has its own stable error code."""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass

from gisapp.domain.events import Channel, Priority
from gisapp.errors import ValidationFailed
from gisapp.spatial.crs import Crs, UnknownCrs, parse_crs

ALLOWED_FIELDS = {"category", "description", "location", "crs", "channel", "reporter", "client_ref", "priority",
                  "level2_reason"}
# why a staff reporter sends an event straight to the county center (clause 6.2.1, level 2)
LEVEL2_REASONS = ("multi_township", "multi_department", "beyond_township")
MAX_DESCRIPTION = 2000
MAX_CLIENT_REF = 128
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")


@dataclass(frozen=True)
class Point:
    lon: float
    lat: float


@dataclass(frozen=True)
class EventReport:
    """A report that passed validation; the point is still in the reporter's CRS."""

    category: str
    description: str
    point: Point
    crs: Crs
    channel: Channel
    reporter_name: str | None
    reporter_phone: str | None
    client_ref: str | None
    priority: Priority | None = None  # raised by the reporter (an emergency): never below the category's
    level2_reason: str | None = None  # concerns several townships or departments, or beyond a township's powers

    def fingerprint(self) -> str:
        """Hash of the content, to tell a true retry from a different report reusing a client_ref."""
        content = (self.category, self.description, self.point.lon, self.point.lat, str(self.crs),
                   str(self.channel), self.reporter_name, self.reporter_phone) + \
            ((str(self.priority),) if self.priority else ()) + ((self.level2_reason,) if self.level2_reason else ())
        return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _fail(code: str, message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def parse_point(location: object) -> Point:
    """A GeoJSON Point with numeric, in-range lon/lat.

    >>> parse_point({"type": "Point", "coordinates": [118.8, 32.05]})
    Point(lon=118.8, lat=32.05)
    >>> parse_point({"type": "Point", "coordinates": [True, 32]})
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: location coordinates must be two numbers [lon, lat]
    """
    if location is None:
        raise _fail("missing_location", "location is required: a GeoJSON Point", "location")
    if not isinstance(location, dict) or location.get("type") != "Point" or "coordinates" not in location:
        raise _fail("malformed_location",
                    'location must be a GeoJSON Point: {"type": "Point", "coordinates": [lon, lat]}',
                    "location")
    coords = location["coordinates"]
    if not isinstance(coords, list) or len(coords) != 2 or not all(
            isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in coords):
        raise _fail("invalid_coordinates", "location coordinates must be two numbers [lon, lat]",
                    "location")
    lon, lat = float(coords[0]), float(coords[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _fail("coordinates_out_of_range",
                    f"coordinates [{lon}, {lat}] are out of range: lon must be within -180..180 and "
                    "lat within -90..90 (is the order [lon, lat]?)", "location")
    return Point(lon, lat)


def _optional_text(body: dict, field: str, limit: int, code: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _fail(code, f"{field} must be a string of at most {limit} characters", field)
    return value.strip() or None


def _reporter(value: object) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict) or set(value) - {"name", "phone"}:
        raise _fail("invalid_reporter", 'reporter must be an object {"name": "...", "phone": "..."}',
                    "reporter")
    name = _optional_text(value, "name", 64, "invalid_reporter")
    phone = _optional_text(value, "phone", 20, "invalid_reporter")
    if phone and not PHONE.match(phone):
        raise _fail("invalid_reporter", "reporter.phone must be a telephone number (digits, spaces, "
                    "dashes, an optional leading +)", "reporter")
    return name, phone


def parse_event_report(body: object) -> EventReport:
    """Check a decoded JSON body field by field; raise ValidationFailed with a stable code."""
    if not isinstance(body, dict):
        raise _fail("invalid_body", "the request body must be a JSON object", "body")
    unknown = sorted(set(body) - ALLOWED_FIELDS)
    if unknown:
        raise _fail("unknown_field", f"unknown field(s): {', '.join(unknown)}; allowed: "
                    f"{', '.join(sorted(ALLOWED_FIELDS))}", unknown[0])
    category = body.get("category")
    if not isinstance(category, str) or not category.strip():
        raise _fail("missing_category", "category is required: a category code from "
                    "GET /api/v1/categories", "category")
    try:
        crs = parse_crs(body.get("crs"))
    except UnknownCrs as exc:
        raise _fail("unknown_crs", str(exc), "crs") from None
    point = parse_point(body.get("location"))
    channel = body.get("channel")
    if channel is None:
        raise _fail("missing_channel", "channel is required: one of " + ", ".join(Channel), "channel")
    if not isinstance(channel, str) or channel not in set(Channel):
        raise _fail("unknown_channel", f"channel {channel!r} is not one of " + ", ".join(Channel),
                    "channel")
    name, phone = _reporter(body.get("reporter"))
    client_ref = body.get("client_ref")
    if client_ref is not None and (not isinstance(client_ref, str) or not 1 <= len(client_ref) <= MAX_CLIENT_REF):
        raise _fail("invalid_client_ref", f"client_ref must be a string of 1 to {MAX_CLIENT_REF} "
                    "characters", "client_ref")
    priority = body.get("priority")
    if priority is not None and (not isinstance(priority, str) or priority not in set(Priority)):
        raise _fail("unknown_priority", "priority is one of " + ", ".join(Priority), "priority")
    reason = body.get("level2_reason")
    if reason is not None and (not isinstance(reason, str) or reason not in LEVEL2_REASONS):
        raise _fail("unknown_level2_reason", "level2_reason is one of " + ", ".join(LEVEL2_REASONS), "level2_reason")
    return EventReport(
        priority=Priority(priority) if priority else None, level2_reason=reason,
        category=category.strip(),
        description=_optional_text(body, "description", MAX_DESCRIPTION, "invalid_description") or "",
        point=point, crs=crs, channel=Channel(channel),
        reporter_name=name, reporter_phone=phone, client_ref=client_ref,
    )
