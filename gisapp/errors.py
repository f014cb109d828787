"""One error hierarchy: an HTTP status, a stable code and a message a user can act on."""
from __future__ import annotations


class AppError(Exception):
    """Base of every error the platform reports to a client."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return {"error": body}


class MalformedRequest(AppError):
    status = 400
    code = "malformed_json"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


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


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"


class MigrationError(Exception):
    """The migration files and the database disagree; nothing was applied."""


class SetupError(Exception):
    """The machine lacks something the embedded database needs."""
