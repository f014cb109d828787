"""marshmallow schemas: they document the API in the OpenAPI document."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Float, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf
from marshmallow.fields import Field as MField

from gisapp.domain.body import Body, Field
from gisapp.domain.events import Channel
from gisapp.domain.grid_edit import EDIT, FIX, MERGE, RESTORE, SPLIT
from gisapp.domain.intake import EVENT_REPORT
from gisapp.domain.lifecycle import STEP
from gisapp.errors import CATALOGUE

CRS_VALUES = ["EPSG:4326", "EPSG:4490", "GCJ-02", "BD-09"]
CHANNELS = [str(c) for c in Channel]  # the domain's enum: the document follows it


class PointSchema(Schema):
    type = String(required=True, validate=OneOf(["Point"]))
    coordinates = List(Float(), required=True, metadata={"description": "[lon, lat]"})


class ReporterSchema(Schema):
    name = String(metadata={"description": "reporter's name (personal data)"})
    phone = String(metadata={"description": "reporter's phone (personal data)"})


_FIELD_TYPES = {"string": String, "integer": Integer, "number": Float, "boolean": Boolean, "object": Dict, "any": Raw}


def _field_of(declared: Field, name: str) -> MField:
    """The marshmallow field documenting one declared field: its type, required, enum and limits."""
    options: dict = {"required": declared.required}
    meta = {"description": declared.description} if declared.description else {}
    validators = []
    if declared.enum:
        validators.append(OneOf(list(declared.enum)))
    if declared.min_length is not None or declared.max_length is not None:
        validators.append(Length(min=declared.min_length, max=declared.max_length))
    if validators:
        options["validate"] = validators
    if declared.default is not None:
        options["load_default"] = declared.default
    if declared.type == "object":
        if declared.nested is None:
            return Dict(metadata=meta, **options)
        return Nested(
            schema_of(declared.nested, f"{name}{declared.name.title().replace('_', '')}"), metadata=meta, **options
        )
    if declared.type == "array":
        item = _FIELD_TYPES[declared.items or "any"]
        item_options = {"validate": Length(min=1, max=declared.max_item_length)} if declared.max_item_length else {}
        return List(item(**item_options), metadata=meta, **options)
    return _FIELD_TYPES[declared.type](metadata=meta, **options)


def schema_of(body: Body, name: str) -> type[Schema]:
    """The marshmallow schema of a body declared in the domain (gisapp/domain/body.py): the one declaration
    the parser reads, so the OpenAPI document says what the parser takes."""
    schema = Schema.from_dict({f.name: _field_of(f, name) for f in body.fields}, name=name)
    schema.__doc__ = body.description or None
    return schema


EventIn = schema_of(EVENT_REPORT, "EventIn")
StepIn = schema_of(STEP, "StepIn")
GridEditIn = schema_of(EDIT, "GridEditIn")
GridFixIn = schema_of(FIX, "GridFixIn")
GridSplitIn = schema_of(SPLIT, "GridSplitIn")
GridMergeIn = schema_of(MERGE, "GridMergeIn")
GridRestoreIn = schema_of(RESTORE, "GridRestoreIn")


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
    level = Integer(metadata={"description": "1: township sub-center and grid team; 2: county center and department"})
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
    repeat_of = Integer(
        allow_none=True,
        metadata={
            "description": "the event of the same category closed nearby shortly before, when this one repeats it"
        },
    )
    created_at = String()
    tracking_token = String(
        metadata={"description": "in the intake answer only: the reporter's key to GET /api/v1/track/<token>"}
    )


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
    extension = Dict(
        metadata={
            "description": "pending (bool), until (the time asked for), approved_at (when an "
            "approval set handle_by to it; null: handle_by is the category's limit)"
        }
    )
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
    rating = String(
        allow_none=True, metadata={"description": "the reporter's: satisfied, basically_satisfied, dissatisfied"}
    )
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
    handling_minutes = Integer(
        metadata={"description": "the handling limit in clock minutes (nominal when the limit counts working time)"}
    )
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
    """A layer as layers/<name>.toml declares it (gisapp.domain.layers.Layer.describe)."""

    name = String()
    title = String()
    title_en = String()
    geometry_type = String()
    url = String()
    style = Dict()
    properties = Dict(
        metadata={"description": "each property: type, label, bounds, pattern, values, required, read_only, queryable"}
    )
    min_zoom = Integer()
    source = Dict()
    id = String(metadata={"description": "the property that identifies a feature"})
    editable = Boolean(metadata={"description": "whether planners may edit it (OGC API Features Part 4)"})


class LayerList(Schema):
    items = List(Nested(LayerInfo))


ERROR_JSON = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "stable, for programs"},
                "message": {"type": "string", "description": "for people"},
                "field": {"type": "string"},
            },
        }
    },
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
    schema = {
        **ERROR_JSON,
        "properties": {
            "error": {**detail, "properties": {**detail["properties"], "code": {"type": "string", "enum": codes}}}
        },
    }
    return {
        "description": "; ".join(f"`{c}`: {CATALOGUE[c].meaning}" for c in codes),
        "content": {"application/json": {"schema": schema}},
    }


def ref_response(description: str, component: str) -> dict:
    """An OpenAPI response object pointing at a schema component generated from a marshmallow schema."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


class ErrorDetail(Schema):
    code = String()
    message = String()
    field = String()


class ErrorOut(Schema):
    error = Nested(ErrorDetail)
