"""Thin API blueprints: parse, (later: authorise), call a service, serialise."""

from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy.orm import Session

from gisapp.config import Settings
from gisapp.errors import MalformedRequest, PayloadTooLarge, UnsupportedMediaType


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["gisapp.sessions"]()
    return g.db_session


def settings() -> Settings:
    return current_app.config["SETTINGS"]


def audit_key() -> bytes:
    """The audit chain's HMAC key, read once when the app was built."""
    return current_app.config["AUDIT_KEY"]


def require_json_body():
    """A state-changing call carries a bounded JSON body, or none (a before_request hook)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if request.content_length in (None, 0) and not request.get_data(cache=True):
        return  # no body at all (e.g. POST .../disable); views that need fields say so
    limit = settings().max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")
    try:
        parsed = request.get_json(silent=True)
    except RecursionError:  # nesting deeper than the parser's stack: not a body any route takes
        raise MalformedRequest("the request body nests too deeply", code="json_too_deep") from None
    if parsed is None:
        raise MalformedRequest("the request body is not valid JSON")
