"""One error hierarchy: an HTTP status, a stable code and a message a user can act on."""

from __future__ import annotations

from dataclasses import dataclass


class AppError(Exception):
    """Base of every error the platform reports to a client."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        status: int | None = None,
        details: list | dict | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field

    def headers(self) -> dict[str, str]:
        """Extra response headers (e.g. Retry-After)."""
        return {}

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class MalformedRequest(AppError):
    status = 400
    code = "malformed_json"


class InvalidParameter(AppError):
    """A query parameter that is unknown or has a value out of its range (OGC API: 400)."""

    status = 400
    code = "invalid_parameter"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class PreconditionFailed(AppError):
    """The change was based on a version that is no longer current (If-Match)."""

    status = 412
    code = "stale_version"


class PreconditionRequired(AppError):
    """A change that must name the version it was based on (If-Match) did not."""

    status = 428
    code = "precondition_required"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


class ValidationFailed(AppError):
    """The request is well-formed but a value in it cannot be accepted (422)."""

    status = 422
    code = "validation_failed"


class OutsideJurisdiction(AppError):
    status = 422
    code = "outside_jurisdiction"


class AuthenticationRequired(AppError):
    status = 401
    code = "authentication_required"


class RateLimited(AppError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"


class MigrationError(Exception):
    """The migration files and the database disagree; nothing was applied."""


class SetupError(Exception):
    """The machine lacks something the embedded database needs."""


@dataclass(frozen=True)
class ErrorCode:
    """A stable error code: its HTTP status(es) and what it means to a client. Where each is raised is read
    from the source (gisapp/error_codes.py), so the catalogue cannot drift from the code."""

    code: str
    statuses: tuple[int, ...]
    meaning: str

    @property
    def status(self) -> int:
        return self.statuses[0]


def _codes(status: int | tuple[int, ...], **meanings: str) -> list[ErrorCode]:
    statuses = status if isinstance(status, tuple) else (status,)
    return [ErrorCode(code, statuses, meaning) for code, meaning in meanings.items()]


# One catalogue of every code a client can receive. It generates the OpenAPI error responses of each route
# (gisapp.api.schemas.error_responses) and the table in docs/api.md; tests/test_error_catalogue.py fails when
# the source raises a code this does not list.
CATALOGUE: dict[str, ErrorCode] = {
    e.code: e
    for e in [
        *_codes(
            400,
            bad_request="the request cannot be read",
            malformed_json="the body is not valid JSON",
            json_too_deep="the JSON body nests deeper than 32 levels",
            invalid_parameter="an OGC API query parameter is unknown, repeated or out of range",
            invalid_tile="a tile address that is not z/x/y within range",
            demo_in_production="demo accounts are refused in production",
        ),
        *_codes(
            401,
            authentication_required="no valid credentials: sign in for a bearer token",
            authentication_failed="wrong username or password",
            account_locked="too many failed sign-ins",
            password_expired="the password must be changed before signing in",
        ),
        *_codes(
            403,
            forbidden="the caller's role may not use this route",
            csrf_failed="the session's CSRF token is missing",
            not_your_step="the step is not the caller's part in this event",
            channel_not_allowed="the integration does not report on this channel",
            priority_not_allowed="an outside report cannot set priority or level2_reason",
            admin_post_protected="the last security administrator cannot be changed or disabled",
        ),
        *_codes(
            404,
            not_found="no such page or resource",
            event_not_found="no such event in the caller's area",
            photo_not_found="no such photo the caller may see",
            scorecard_not_found="no such scorecard",
            tile_out_of_range="the tile is outside the layer's extent",
            unit_not_found="no such unit in the caller's area",
            unknown_collection="no such OGC collection",
            unknown_community="no such community",
            unknown_county="no such county",
            unknown_feature="no such feature",
            unknown_import="no such import job",
            unknown_layer="no such layer",
            unknown_tracking_token="the tracking token is not one issued",
            unknown_version="no such version of the grid",
        ),
        *_codes(
            (404, 422),
            unknown_user="no such account (404 in a path, 422 in a body)",
            unknown_grid="no such grid (404 in a path, 422 in a change)",
        ),
        *_codes(
            405, method_not_allowed="the route does not take this method", read_only_layer="the layer is not editable"
        ),
        *_codes(406, not_acceptable="no representation the client accepts"),
        *_codes(
            409,
            conflict="the change conflicts with the current state",
            already_merged="the event is already merged",
            already_rated="the report is rated already",
            client_ref_conflict="the client_ref names a different request",
            duplicate_feature="a feature with this id exists",
            grid_code_retired="a retired grid code is never reused",
            grid_code_taken="the grid code is taken",
            grid_codes_exhausted="the community has no grid codes left",
            import_busy="another import of the layer is running",
            integration_taken="the integration code is taken",
            no_jurisdiction="no jurisdiction is loaded",
            no_member="the account is not a team member",
            not_closed="only a closed report can be rated",
            scorecard_exists="the scorecard is published already",
            too_many_photos="the event has its maximum of photos",
            transition_not_allowed="the life-cycle rules do not allow this step now",
            username_taken="the username is taken",
        ),
        *_codes(412, stale_version="the change was based on a version that is no longer current (If-Match)"),
        *_codes(413, payload_too_large="the body is larger than the limit"),
        *_codes(
            415,
            unsupported_media_type="the body is not of the type the route takes",
            unknown_file_type="the uploaded file is not a format import reads",
            unsupported_photo="the photo is not a JPEG or PNG",
        ),
        *_codes(
            422,
            validation_failed="a value cannot be accepted",
            invalid_text="a text holds a NUL byte or a lone surrogate (refused at the edge)",
            number_out_of_range="a number is NaN, infinite or beyond a 64-bit integer (refused at the edge)",
            invalid_header="a credential header holds control characters (refused at the edge)",
            invalid_body="the body is not the JSON object the route takes",
            unknown_field="a body field the route does not take",
            unknown_parameter="a query parameter the route does not take",
            repeated_parameter="a query parameter given twice",
            # intake (domain/intake.py)
            missing_category="category is required",
            unknown_category="no such category",
            missing_location="location is required",
            malformed_location="location is not a GeoJSON Point",
            invalid_coordinates="coordinates are not two finite numbers",
            missing_coordinates="lon and lat are required",
            coordinates_out_of_range="lon/lat beyond -180..180 / -90..90",
            unknown_crs="a CRS the platform does not take",
            missing_channel="channel is required",
            unknown_channel="not a channel",
            invalid_reporter="reporter is not {name, phone} of the right forms",
            invalid_client_ref="client_ref is not 1 to 128 characters",
            invalid_description="description too long or not text",
            unknown_priority="not a priority",
            unknown_level2_reason="not a level2_reason",
            outside_jurisdiction="the point is outside the caller's jurisdiction",
            # life-cycle steps (domain/lifecycle.py) and merges
            unknown_action="not a life-cycle action",
            invalid_note="note is not text of at most 2000 characters",
            invalid_photos="photos is not a list of texts",
            invalid_departments="departments is not a list of texts",
            invalid_position="position is not a GeoJSON Point",
            invalid_members="members is not a count from 1",
            missing_until="request_extension needs until",
            invalid_until="until is not a later ISO 8601 time",
            unknown_department="no such department",
            unknown_member="no such member",
            invalid_into="into is not an event id",
            merge_into_itself="an event cannot merge into itself",
            invalid_rating="not a rating",
            invalid_comment="comment too long or not text",
            # query parameters (api/params.py and the evaluation's)
            invalid_bbox="bbox is not minlon,minlat,maxlon,maxlat in range",
            invalid_time="not an ISO 8601 time",
            invalid_limit="limit is not an integer from 1",
            invalid_offset="offset is not an integer from 0",
            invalid_minutes="minutes is not a positive integer",
            invalid_radius_m="radius_m is not a positive integer",
            invalid_max_seconds="max_seconds is not a positive integer",
            invalid_max_age_s="max_age_s is not a positive integer",
            invalid_stale_after_s="stale_after_s is not a positive integer",
            invalid_after="after is not an event-log id",
            unknown_state="state is not warned or overdue",
            unknown_status="not an event status",
            invalid_query="the query is not a search the dashboard takes",
            invalid_format="not an answer format",
            unknown_format="not an export format",
            invalid_date="not a date YYYY-MM-DD",
            date_out_of_range="the date is outside the periods kept",
            invalid_period="not a period",
            missing_period="period is required",
            period_too_long="the period is too long",
            period_not_over="the period has not ended",
            invalid_from="from is not a date",
            invalid_to="to is not a date",
            invalid_code="code is not an area code",
            missing_code="code is required",
            unknown_scope="not a scope",
            missing_scope="scope is required",
            scope_above_area="the scope is above the caller's area",
            unknown_part="not a part of the figure",
            unknown_bucket="not a trend bucket",
            unknown_by="not a grouping",
            unknown_kpi="not a figure",
            missing_kpi="kpi is required",
            kpi_not_scoreable="the figure is not scored",
            invalid_weight="a weight is not a number from 0",
            no_weights="no weights given",
            no_denominator="the figure has no denominator here",
            trend_too_long="the trend has too many buckets",
            # accounts and integrations
            invalid_credentials_body="send username and password",
            not_a_token="the bearer token is malformed",
            not_a_session="the session is malformed",
            unknown_role="not a role",
            unknown_binding="no such area or department",
            invalid_binding="the role cannot be bound to that unit",
            invalid_member="not a member of the grid's team",
            password_too_short="the password is too short",
            password_too_simple="the password lacks character classes",
            password_too_common="the password is a common one",
            password_contains_username="the password holds the username",
            password_unchanged="the new password is the old one",
            invalid_integration_code="not an integration code",
            invalid_integration_name="the integration needs a name",
            invalid_channels="channels is not a list of channels",
            unknown_integration="no such integration",
            invalid_duty_status="not a duty status",
            retention_too_short="audit retention below the legal minimum",
            # grids, layers, imports
            bad_grid_code="not a grid code",
            different_communities="the grids are in different communities",
            grids_not_adjacent="the grids share no edge",
            invalid_split_line="the line does not split the grid",
            malformed_geometry="not a GeoJSON geometry",
            missing_name="a new grid needs a name",
            missing_reason="a grid change needs a reason",
            invalid_effective_date="not a date YYYY-MM-DD",
            invalid_version="version is not an integer",
            topology_failed="the change breaks the grid topology",
            invalid_patch="not a JSON merge patch",
            rename_not_supported="a feature id cannot change",
            id_mismatch="the body's id is not the path's",
            invalid_feature="not a GeoJSON feature",
            invalid_feature_id="not a feature id",
            invalid_geometry="an invalid geometry",
            invalid_geometry_type="not the layer's geometry type",
            invalid_property="a property value out of its rule",
            missing_property="a required property is missing",
            out_of_range="a property beyond its range",
            unknown_property="not a property of the layer",
            missing_file="no file was uploaded",
            missing_geometry="a feature has no geometry",
            missing_shapefile_part="the shapefile lacks a part",
            ambiguous_layer="the file holds several layers",
            crs_conflict="the declared CRS differs from the file's",
            crs_required="the file has no CRS: declare one",
            unsupported_crs="a CRS import does not take",
            file_too_large="the file is beyond the import limit",
            no_coordinates="a feature has no coordinates",
            unreadable_file="the file cannot be read",
            import_rejected="the import has problems (details)",
        ),
        *_codes(428, precondition_required="send If-Match with the version the change is based on"),
        *_codes(429, rate_limited="too many requests: wait Retry-After seconds"),
        *_codes(500, internal_error="an unexpected error, logged without its message"),
        *_codes(503, service_unavailable="the database is unreachable"),
    ]
}
