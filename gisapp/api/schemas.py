"""marshmallow schemas: they document the API in the OpenAPI document."""
from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf

from gisapp.domain.events import Channel, Priority
from gisapp.domain.intake import ALLOWED_FIELDS, LEVEL2_REASONS, MAX_CLIENT_REF, MAX_DESCRIPTION
from gisapp.errors import CATALOGUE

CRS_VALUES = ["EPSG:4326", "EPSG:4490", "GCJ-02", "BD-09"]
CHANNELS = [str(c) for c in Channel]  # the domain's enum: the document follows it


class PointSchema(Schema):
    type = String(required=True, validate=OneOf(["Point"]))
    coordinates = List(Float(), required=True, metadata={"description": "[lon, lat]"})


class ReporterSchema(Schema):
    name = String(metadata={"description": "reporter's name (personal data)"})
    phone = String(metadata={"description": "reporter's phone (personal data)"})


class EventIn(Schema):
    """Documents the body parse_event_report (domain/intake.py) checks: the enums and limits are the domain's,
    and a test keeps the fields equal to its ALLOWED_FIELDS."""

    category = String(required=True, metadata={"description": "a category code from /api/v1/categories"})
    description = String(validate=Length(max=MAX_DESCRIPTION),
                         metadata={"description": f"what happened, at most {MAX_DESCRIPTION} characters"})
    location = Nested(PointSchema, required=True)
    crs = String(load_default="EPSG:4326", validate=OneOf(CRS_VALUES))
    channel = String(required=True, validate=OneOf(CHANNELS))
    reporter = Nested(ReporterSchema)
    client_ref = String(validate=Length(min=1, max=MAX_CLIENT_REF),
                        metadata={"description": "the client's idempotency key: a retry with the same "
                                                 "value returns the original event (200)"})
    priority = String(validate=OneOf([str(p) for p in Priority]),
                      metadata={"description": "raised by a staff reporter (an emergency), never below the "
                                               "category's; integrations may not set it (403 priority_not_allowed)"})
    level2_reason = String(validate=OneOf(list(LEVEL2_REASONS)),
                           metadata={"description": "why a staff report goes straight to the county center (level 2)"})


assert set(EventIn._declared_fields) == ALLOWED_FIELDS, "EventIn documents exactly what the parser takes"


class CodeName(Schema):
    code = String()
    name = String()


class AssigneeSchema(Schema):
    kind = String(validate=OneOf(["team", "department", "center"]))
    id = String()
    name = String()


class CategoryRef(Schema):
    code = String()
    name = String()
    kind = String()


class DeadlinesSchema(Schema):
    respond_by = String(metadata={"description": "ISO 8601 UTC: accept and arrive by"})
    handle_by = String(metadata={"description": "ISO 8601 UTC: finish handling by"})


class ReportedLocation(Schema):
    crs = String()
    coordinates = List(Float())


class EventOut(Schema):
    id = Integer()
    status = String()
    level = Integer(metadata={"description": "1: township sub-center and grid team; 2: county center "
                                             "and department"})
    priority = String()
    channel = String()
    category = Nested(CategoryRef)
    description = String()
    location = Nested(PointSchema, metadata={"description": "EPSG:4326"})
    reported_location = Nested(ReportedLocation)
    grid = Nested(CodeName)
    community = Nested(CodeName)
    township = Nested(CodeName)
    county = Nested(CodeName)
    center = Nested(CodeName)
    assigned_to = Nested(AssigneeSchema)
    deadlines = Nested(DeadlinesSchema)
    reporter = Nested(ReporterSchema, allow_none=True)
    client_ref = String(allow_none=True)
    repeat_of = Integer(allow_none=True, metadata={"description": "the event of the same category closed nearby "
                                                                  "shortly before, when this one repeats it"})
    created_at = String()
    tracking_token = String(metadata={"description": "in the intake answer only: the reporter's key to "
                                                     "GET /api/v1/track/<token>"})


class ReceiverSchema(Schema):
    kind = String(metadata={"description": "team or department"})
    code = String()
    name = String()


class TaskOut(Schema):
    id = Integer()
    kind = String(metadata={"description": "handle (the event's own work) or support (another grid's help)"})
    status = String(metadata={"description": "dispatched, acknowledged, on_scene, handled, returned, cancelled"})
    receiver = Nested(ReceiverSchema)
    member = Nested(CodeName, allow_none=True)
    deadlines = Nested(DeadlinesSchema)
    supervision = String(metadata={"description": "on_time, warned, overdue"})
    extension = Dict(metadata={"description": "pending (bool), until (the time asked for), approved_at (when an "
                                           "approval set handle_by to it; null: handle_by is the category's limit)"})
    times = Dict(metadata={"description": "dispatched, acknowledged, arrived, handled (ISO 8601 or null)"})


class TimelineEntry(Schema):
    at = String()
    actor = String()
    action = String()
    from_ = String(data_key="from", attribute="from", allow_none=True)
    to = String(allow_none=True)
    note = String()
    task = Integer(allow_none=True)
    details = Dict()


class PhotoOut(Schema):
    id = Integer()
    url = String(metadata={"description": "GET it for the bytes (the caller must see the event)"})
    event_id = Integer()
    sha256 = String(metadata={"description": "of the bytes; also the photo's ETag"})
    media_type = String(metadata={"description": "image/jpeg or image/png, read from the bytes"})
    size = Integer(metadata={"description": "bytes"})
    width = Integer(allow_none=True)
    height = Integer(allow_none=True)
    uploaded_by = String()
    uploaded_at = String()


class EventDetail(EventOut):
    rework = Integer(metadata={"description": "rounds of rework after a failed verification"})
    support_requested = Integer(metadata={"description": "members asked for, not yet confirmed"})
    parked_from = String(allow_none=True)
    repeat_count = Integer(metadata={"description": "later reports that repeated this event after its closure"})
    rating = String(allow_none=True, metadata={"description": "the reporter's: satisfied, basically_satisfied, "
                                                              "dissatisfied"})
    review_open = Boolean(metadata={"description": "a dissatisfied rating opened a review"})
    tasks = List(Nested(TaskOut))
    timeline = List(Nested(TimelineEntry))
    photos = List(Nested(PhotoOut), metadata={"description": "the event's photos, oldest first"})


class EventPage(Schema):
    items = List(Nested(EventOut))
    total = Integer()
    next = String(allow_none=True)


class EventQuery(Schema):
    grid = String()
    township = String()
    status = String()
    category = String()
    bbox = String(metadata={"description": "minlon,minlat,maxlon,maxlat (EPSG:4326)"})
    since = String(metadata={"description": "ISO 8601, inclusive"})
    until = String(metadata={"description": "ISO 8601, exclusive"})
    limit = Integer()
    offset = Integer()


class LocateQuery(Schema):
    lon = Float(required=True)
    lat = Float(required=True)
    crs = String(load_default="EPSG:4326", validate=OneOf(CRS_VALUES))


class LocateOut(Schema):
    grid = Nested(CodeName)
    community = Nested(CodeName)
    township = Nested(CodeName)
    county = Nested(CodeName)
    team = Nested(CodeName, allow_none=True)
    center = Nested(CodeName, allow_none=True)
    location = Nested(PointSchema)


class Limits(Schema):
    response_minutes = Integer()
    handling_minutes = Integer(metadata={"description": "the handling limit in clock minutes (nominal when the "
                                                        "limit counts working time)"})
    handling_unit = String(metadata={"description": "minutes, work_hours or work_days (county calendar)"})
    handling_amount = Float(allow_none=True, metadata={"description": "the limit in handling_unit; null for minutes"})


class CategoryOut(Schema):
    code = String()
    name = String()
    name_en = String()
    kind = String()
    kind_name = String()
    level = Integer()
    department = Nested(CodeName)
    priority = String()
    limits = Nested(Limits)


class CategoryList(Schema):
    items = List(Nested(CategoryOut))


class HealthOut(Schema):
    status = String()
    database = String()
    postgis = String()


class BboxQuery(Schema):
    bbox = String(metadata={"description": "minlon,minlat,maxlon,maxlat (EPSG:4326)"})


class FeatureCollection(Schema):
    type = String()
    name = String()
    features = List(Dict())


class LayerInfo(Schema):
    name = String()
    title = String()
    title_en = String()
    geometry_type = String()
    url = String()
    style = Dict()
    properties = Dict()
    min_zoom = Integer()
    source = Dict()


class LayerList(Schema):
    items = List(Nested(LayerInfo))


ERROR_JSON = {
    "type": "object",
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "description": "stable, for programs"},
        "message": {"type": "string", "description": "for people"},
        "field": {"type": "string"}}}},
}


def error_responses(*codes: str) -> dict[int, dict]:
    """OpenAPI error responses of a route from the catalogue (gisapp/errors.py): per status, its codes
    with their meanings, and the codes as the enum of `error.code`."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        for status in CATALOGUE[code].statuses:  # KeyError: a code missing from the catalogue
            by_status.setdefault(status, []).append(code)
    return {status: _error_response_of(found) for status, found in sorted(by_status.items())}


def _error_response_of(codes: list[str]) -> dict:
    detail = ERROR_JSON["properties"]["error"]
    schema = {**ERROR_JSON, "properties": {"error": {
        **detail, "properties": {**detail["properties"], "code": {"type": "string", "enum": codes}}}}}
    return {"description": "; ".join(f"`{c}`: {CATALOGUE[c].meaning}" for c in codes),
            "content": {"application/json": {"schema": schema}}}


def error_response(description: str) -> dict:
    """An OpenAPI response object for an error answer."""
    return {"description": description, "content": {"application/json": {"schema": ERROR_JSON}}}


def ref_response(description: str, component: str) -> dict:
    """An OpenAPI response object pointing at a schema component generated from a marshmallow schema."""
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}}


class ErrorDetail(Schema):
    code = String()
    message = String()
    field = String()


class ErrorOut(Schema):
    error = Nested(ErrorDetail)


