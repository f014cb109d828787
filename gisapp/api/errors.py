"""One rendering of errors: JSON {"error": {"code", "message"}} for the API, a page for browsers."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, jsonify, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from gisapp.errors import AppError

log = logging.getLogger("gisapp")

HTTP_CODES = {
    400: "bad_request",
    401: "authentication_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/tiles/"))
        or request.path == "/healthz"
        or request.accept_mimetypes.best == "application/json"
    )


def _is_ogc() -> bool:
    return request.path == "/ogc" or request.path.startswith("/ogc/")


def render(status: int, body: dict, headers: dict | None = None):
    if _is_ogc():  # an OGC API exception (code, description), with the app's usual error object beside it
        err = body["error"]
        return jsonify({"code": err["code"], "description": err["message"], **body}), status, headers or {}
    if _wants_json():
        return jsonify(body), status, headers or {}
    err = body["error"]
    page = (
        f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>{status}</title>"
        f"<h1>{status}</h1><p>{escape(err['message'])}</p><p><code>{escape(err['code'])}</code></p></html>"
    )
    return page, status, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}


def log_unexpected(exc: BaseException) -> None:
    """Log where an unexpected error happened, without its message: a database error's text can quote
    the values of the statement (a reporter's phone, a name), and personal data never goes to logs."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "unhandled %s.%s on %s %s (message withheld: it may quote personal data)\n%s",
        type(exc).__module__,
        type(exc).__name__,
        request.method,
        request.path,
        frames,
    )


def register(app: Flask) -> None:
    @app.errorhandler(AppError)
    def app_error(exc: AppError):
        return render(exc.status, exc.to_dict(), exc.headers())

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = {413: f"the request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"}.get(
            status, exc.description or exc.name
        )
        return render(
            status, {"error": {"code": HTTP_CODES.get(status, exc.name.lower().replace(" ", "_")), "message": message}}
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log_unexpected(exc)
        return render(
            500, {"error": {"code": "internal_error", "message": "an internal error occurred; it has been logged"}}
        )
