"""One error hierarchy: an HTTP status, a stable code and a message a user can act on."""
from __future__ import annotations


class AppError(Exception):
    """Base of every error the platform reports to a client."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 status: int | None = None, details: list | dict | None = None):
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
