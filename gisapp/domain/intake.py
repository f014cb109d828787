"""Validation of an incoming event report: every defect has its own stable error code."""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import cast

import shapely

from gisapp.domain.body import Body, Field, read
from gisapp.domain.events import Channel, Priority
from gisapp.errors import ValidationFailed
from gisapp.spatial.crs import Crs, UnknownCrs, parse_crs, to_wgs84

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
    """A report that passed validation: `point` as the reporter sent it (in `crs`), `location` in WGS84."""

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
    location: shapely.Point = field(init=False)  # the point in WGS84 (EPSG:4326), converted once, here

    def __post_init__(self) -> None:
        object.__setattr__(self, "location", shapely.Point(to_wgs84(self.point.lon, self.point.lat, self.crs)))

    def fingerprint(self) -> str:
        """Hash of the content, to tell a true retry from a different report reusing a client_ref."""
        content = (
            (
                self.category,
                self.description,
                self.point.lon,
                self.point.lat,
                str(self.crs),
                str(self.channel),
                self.reporter_name,
                self.reporter_phone,
            )
            + ((str(self.priority),) if self.priority else ())
            + ((self.level2_reason,) if self.level2_reason else ())
        )
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
        raise _fail(
            "malformed_location",
            'location must be a GeoJSON Point: {"type": "Point", "coordinates": [lon, lat]}',
            "location",
        )
    coords = location["coordinates"]
    if (
        not isinstance(coords, list)
        or len(coords) != 2
        or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in coords)
    ):
        raise _fail("invalid_coordinates", "location coordinates must be two numbers [lon, lat]", "location")
    lon, lat = float(coords[0]), float(coords[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _fail(
            "coordinates_out_of_range",
            f"coordinates [{lon}, {lat}] are out of range: lon must be within -180..180 and "
            "lat within -90..90 (is the order [lon, lat]?)",
            "location",
        )
    return Point(lon, lat)


def _reporter(value: dict) -> tuple[str | None, str | None]:
    if (
        set(value) - {"name", "phone"}
        or not all(v is None or isinstance(v, str) for v in value.values())
        or len(value.get("name") or "") > 64
        or len(value.get("phone") or "") > 20
    ):
        raise _fail(
            "invalid_reporter",
            'reporter must be an object {"name": "...", "phone": "..."} (name at most 64, phone at most 20 characters)',
            "reporter",
        )
    name, phone = ((value.get(k) or "").strip() or None for k in ("name", "phone"))
    if phone and not PHONE.match(phone):
        raise _fail(
            "invalid_reporter",
            "reporter.phone must be a telephone number (digits, spaces, dashes, an optional leading +)",
            "reporter",
        )
    return name, phone


def _category(value: str) -> str:
    if not value.strip():
        raise _fail("missing_category", CATEGORY_MESSAGE, "category")
    return value.strip()


def _crs(value: str) -> Crs:
    try:
        return parse_crs(value)
    except UnknownCrs as exc:
        raise _fail("unknown_crs", str(exc), "crs") from None


CATEGORY_MESSAGE = "category is required: a category code from GET /api/v1/categories"
REPORTER = Body(
    (
        Field("name", "string", "invalid_reporter", max_length=64, description="reporter's name (personal data)"),
        Field(
            "phone",
            "string",
            "invalid_reporter",
            max_length=20,
            description="reporter's phone (personal data): digits, spaces, dashes, an optional leading +",
        ),
    )
)
POINT = Body(
    (
        Field("type", "string", "malformed_location", required=True, enum=("Point",)),
        Field(
            "coordinates",
            "array",
            "invalid_coordinates",
            required=True,
            items="number",
            min_length=2,
            max_length=2,
            description="[lon, lat]",
        ),
    )
)
# the body of POST /api/v1/events, in the order its fields are checked
EVENT_REPORT = Body(
    (
        Field(
            "category",
            "string",
            "missing_category",
            required=True,
            parse=_category,
            message=CATEGORY_MESSAGE,
            missing_message=CATEGORY_MESSAGE,
            description="a category code from /api/v1/categories",
        ),
        Field(
            "crs",
            "string",
            "unknown_crs",
            parse=_crs,
            default=str(Crs.WGS84),
            description="the CRS of location: " + ", ".join(Crs) + " (or an alias: WGS84, CGCS2000, GCJ02, BD09 ...)",
        ),
        Field(
            "location",
            "object",
            "malformed_location",
            required=True,
            missing="missing_location",
            nested=POINT,
            parse=lambda v: parse_point(v),
            codes=("invalid_coordinates", "coordinates_out_of_range"),
            missing_message="location is required: a GeoJSON Point",
            message='location must be a GeoJSON Point: {"type": "Point", "coordinates": [lon, lat]}',
        ),
        Field(
            "channel",
            "string",
            "unknown_channel",
            required=True,
            missing="missing_channel",
            enum=tuple(Channel),
            parse=Channel,
        ),
        Field(
            "reporter",
            "object",
            "invalid_reporter",
            nested=REPORTER,
            parse=_reporter,
            message='reporter must be an object {"name": "...", "phone": "..."}',
        ),
        Field(
            "client_ref",
            "string",
            "invalid_client_ref",
            min_length=1,
            max_length=MAX_CLIENT_REF,
            description="the client's idempotency key: a retry with the same value returns the original event (200)",
        ),
        Field(
            "priority",
            "string",
            "unknown_priority",
            enum=tuple(Priority),
            parse=Priority,
            description="raised by a staff reporter (an emergency), never below the category's; integrations may "
            "not set it (403 priority_not_allowed)",
        ),
        Field(
            "level2_reason",
            "string",
            "unknown_level2_reason",
            enum=LEVEL2_REASONS,
            description="why a staff report goes straight to the county center (level 2)",
        ),
        Field(
            "description",
            "string",
            "invalid_description",
            max_length=MAX_DESCRIPTION,
            parse=str.strip,
            description=f"what happened, at most {MAX_DESCRIPTION} characters",
        ),
    ),
    invalid="the request body must be a JSON object",
)
ALLOWED_FIELDS = EVENT_REPORT.names


def parse_event_report(body: object) -> EventReport:
    """Check a decoded JSON body field by field (EVENT_REPORT); raise ValidationFailed with a stable code."""
    got = read(EVENT_REPORT, body)
    # the casts name what EVENT_REPORT's declaration (type, enum, parse function) has already made of each field
    name, phone = cast("tuple[str | None, str | None] | None", got["reporter"]) or (None, None)
    point, crs = cast(Point, got["location"]), cast(Crs, got["crs"])
    return EventReport(
        priority=cast("Priority | None", got["priority"]),
        level2_reason=cast("str | None", got["level2_reason"]),
        category=cast(str, got["category"]),
        description=cast("str | None", got["description"]) or "",
        point=point,
        crs=crs,
        channel=cast(Channel, got["channel"]),
        reporter_name=name,
        reporter_phone=phone,
        client_ref=cast("str | None", got["client_ref"]),
    )
