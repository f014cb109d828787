"""The edge: what no route can take is refused before any hook or view reads it (4xx, the error shape).

Strings the database cannot hold (NUL bytes; lone surrogates, which UTF-8 cannot encode), numbers no
column holds (beyond a signed 64-bit integer; NaN and the infinities, which JSON does not have) and
JSON nested deeper than any body of this API are refused here, in the path, the query string, the
headers read as credentials, a form and a JSON body alike. Each route's own declaration then checks
types and ranges (gisapp/api/schemas.py, the domain parsers).
"""

from __future__ import annotations

import json
import math
import re

from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from gisapp.errors import MalformedRequest, ValidationFailed

MAX_DEPTH = 32  # the deepest body of the API (a MultiPolygon in a feature in a change list) nests 8
INT8 = (-(2**63), 2**63 - 1)
UNFIT = re.compile("[\x00\ud800-\udfff]")  # NUL, and surrogates (alone in a str, they cannot be UTF-8)
CREDENTIAL_HEADERS = ("Authorization", "X-API-Key", "X-CSRF-Token", "If-Match", "Cookie")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class UnfitJSON(ValueError):
    """A JSON text that parses but holds what no route can take; raised by the app's JSON loader."""

    def __init__(self, error: MalformedRequest | ValidationFailed):
        super().__init__(error.message)
        self.error = error


def _unfit_text(where: str, field: str | None = None) -> ValidationFailed:
    return ValidationFailed(
        f"{where} holds a NUL byte or a lone surrogate, which no text field can store", code="invalid_text", field=field
    )


def _number_out_of_range(field: str | None) -> ValidationFailed:
    return ValidationFailed(
        "a number is beyond the range any field takes (finite, within ±9.2e18 for integers)",
        code="number_out_of_range",
        field=field,
    )


def _reject_constant(name: str):
    raise UnfitJSON(_number_out_of_range(None))  # NaN, Infinity, -Infinity: not JSON, not storable


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses as inf
        raise UnfitJSON(_number_out_of_range(None))
    return value


def check_value(value, field: str | None = None, depth: int = 0) -> None:
    """Walk a decoded JSON value: depth, texts and integers; raise UnfitJSON at the first defect.

    >>> check_value({"a": [1, "ok"]})
    >>> check_value({"a": ["x\\u0000"]})
    Traceback (most recent call last):
    gisapp.api.edge.UnfitJSON: the body holds a NUL byte or a lone surrogate, which no text field can store
    """
    if depth > MAX_DEPTH:
        raise UnfitJSON(
            MalformedRequest(f"the request body nests deeper than {MAX_DEPTH} levels", code="json_too_deep")
        )
    if isinstance(value, str):
        if UNFIT.search(value):
            raise UnfitJSON(_unfit_text("the body", field))
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        return
    elif isinstance(value, int):
        if not INT8[0] <= value <= INT8[1]:
            raise UnfitJSON(_number_out_of_range(field))
    elif isinstance(value, dict):
        for key, item in value.items():
            if UNFIT.search(key):
                raise UnfitJSON(_unfit_text("the body", None))
            check_value(item, field or key, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_value(item, field, depth + 1)


class EdgeJSONProvider(DefaultJSONProvider):
    """The app's JSON: bodies are decoded strictly (no NaN or infinities) and walked once (check_value)."""

    def loads(self, s, **kwargs):
        try:
            value = json.loads(s, parse_constant=_reject_constant, parse_float=_finite_float, **kwargs)
        except RecursionError:  # deeper than the parser's stack: far beyond MAX_DEPTH
            raise UnfitJSON(MalformedRequest("the request body nests too deeply", code="json_too_deep")) from None
        check_value(value)
        return value


def _check_text(value: str, where: str, field: str | None = None) -> None:
    if UNFIT.search(value):
        raise _unfit_text(where, field)


def _check_url() -> None:
    _check_text(request.path, "the path")
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not INT8[0] <= value <= INT8[1]:
            raise _number_out_of_range(name)
    for name, values in request.args.lists():
        _check_text(name, "the query string")
        for value in values:
            _check_text(value, "the query string", name if name.isascii() and len(name) <= 32 else None)


def _check_headers() -> None:
    for name in CREDENTIAL_HEADERS:
        value = request.headers.get(name)
        if value is not None and (UNFIT.search(value) or not value.isprintable()):
            raise ValidationFailed(f"the {name} header holds control characters", code="invalid_header", field=name)


def _check_form() -> None:
    # uploads (multipart) are read by their views under their own size limits (imports, photos), which are not
    # set yet here: reading them now would read them under the wrong one
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    try:
        form = request.form
    except RequestEntityTooLarge:  # the view answers with its own limit
        return
    for name, values in form.lists():
        _check_text(name, "the form")
        for value in values:
            _check_text(value, "the form", name)


def _check_json() -> None:
    if request.method not in BODY_METHODS or not request.is_json:
        return
    if request.content_length is not None and request.content_length > (request.max_content_length or 0) > 0:
        return  # too large: answered 413 by the route's hook
    request.get_json(cache=True, silent=True)  # decoded once; UnfitJSON's error is raised by EdgeRequest


class EdgeRequest(Request):
    """A request whose JSON decoding failures at the edge keep their own code (json_too_deep, invalid_text...)."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        try:
            return super().get_json(force=force, silent=False, cache=cache)
        except UnfitJSON as exc:  # refused, silent or not: a view must not see it as "no body"
            raise exc.error from None
        except HTTPException:  # not JSON, or not declared JSON: None when asked to be silent
            if silent:
                return None
            raise

    def on_json_loading_failed(self, e: ValueError | None):
        if isinstance(e, UnfitJSON):
            raise e
        return super().on_json_loading_failed(e)


def check_request():
    """The app's first before_request hook: refuse what no route can take."""
    _check_url()
    _check_headers()
    _check_form()
    _check_json()


def register(app: Flask) -> None:
    """Strict JSON decoding, and check_request ahead of every other hook (the access hook included)."""
    provider = EdgeJSONProvider(app)
    provider.ensure_ascii, provider.sort_keys = app.json.ensure_ascii, app.json.sort_keys
    app.json = provider
    app.request_class = EdgeRequest
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
