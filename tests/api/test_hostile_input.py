"""Hostile input at the edge: every route of the app's URL map, every method, anonymous and as a caller the
permission matrix allows, sent what the database cannot hold or the service cannot mean (NUL bytes, lone
surrogates, integers beyond 64 bits, NaN and the infinities, deep nesting, values of the wrong JSON type,
bodies that are not objects). The answer is never a 5xx, and a 4xx carries the error shape."""

from __future__ import annotations

import json
import logging
import re
import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from gisapp import create_app
from gisapp.api.edge import MAX_DEPTH
from gisapp.config import Settings
from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.domain.permissions import ANONYMOUS, CALLERS, INTEGRATION, allowed
from gisapp.services.access.accounts import create_user
from tests.api.test_permission_matrix import (
    FIXTURE,
    NO_RATE_LIMITS,
    PARAM,
    SKIPPED_METHODS,
    THROWAWAY_PASSWORD,
    demo_usernames,
    event_body,
    fresh_token,
    new_integration,
    request_body,
    sample_place,
)
from tests.support import TEST_AUDIT_KEY

NUL, SURROGATE = "a\u0000b", "\ud800"
# the field names bodies of the app read: a hostile value goes into each, beside a valid body where there is one
FIELDS = sorted(
    {
        "action",
        "also",
        "bound_to",
        "category",
        "changes",
        "channel",
        "channels",
        "client_ref",
        "code",
        "comment",
        "coordinates",
        "crs",
        "departments",
        "description",
        "details",
        "display_name",
        "duty_status",
        "effective_date",
        "error",
        "field",
        "from",
        "geometry",
        "id",
        "into",
        "kpi",
        "level2_reason",
        "line",
        "location",
        "members",
        "name",
        "new_code",
        "new_name",
        "new_password",
        "note",
        "old_password",
        "password",
        "period",
        "photos",
        "position",
        "preview",
        "priority",
        "properties",
        "rating",
        "reason",
        "reporter",
        "retires",
        "role",
        "scope",
        "to",
        "type",
        "until",
        "username",
        "version",
        "weights",
        "with",
    }
)
# each value is here because some parser or column once took it badly
BODY_VALUES = [  # into each field; surrogates and numbers beyond int8 are refused whatever the field (RAW_BODIES)
    NUL,  # psycopg2 refuses a str with NUL: ValueError, 500
    2**31,  # beyond int4 (members, versions, ids)
    [1],  # the right field, the wrong JSON type (unhashable: `x in set(...)` raised TypeError)
    {"a": 1},
    True,  # a bool is an int to Python
    1.5,
]
RAW_BODIES = [  # not objects, not JSON numbers, not storable
    "[]",
    '"text"',
    "1",
    "null",
    "true",
    "NaN",
    '{"a": NaN}',
    '{"a": Infinity}',
    '{"a": -Infinity}',
    '{"a": 1e999}',
    '{"a": "\\u0000"}',
    '{"a": "\\ud800"}',
    '{"\\u0000": 1}',
    '{"\\udfff": 1}',
    '{"a": 123456789012345678901234}',
    "[" * 5000 + "]" * 5000,
    '{"a":' * (MAX_DEPTH + 2) + "1" + "}" * (MAX_DEPTH + 2),
]
QUERY_NAMES = sorted(
    {
        "action",
        "actor",
        "after",
        "bbox",
        "category",
        "changed",
        "code",
        "crs",
        "datetime",
        "ended",
        "f",
        "format",
        "grid",
        "kpi",
        "lat",
        "limit",
        "lon",
        "max_age_s",
        "max_seconds",
        "minutes",
        "next",
        "offset",
        "period",
        "q",
        "radius_m",
        "scope",
        "since",
        "stale_after_s",
        "state",
        "status",
        "township",
        "until",
        "username",
    }
)
QUERY_VALUES = ["a%00b", "99999999999999999999", "-9223372036854775809", "NaN"]
PATH_VALUES = [
    "%00",
    "a%00b",
    "%ED%A0%80",
    "99999999999999999999",
    "9223372036854775808",
    "2147483648",
    "-1",
    "NaN",
    "x" * 3000,
]
HEADERS = [
    {"Authorization": "Bearer a\x00b"},
    {"X-API-Key": "k\x00"},
    {"Authorization": "ApiKey \x00"},
    {"Cookie": "gisapp_session=a\x00b"},
    {"X-CSRF-Token": "\x00"},
    {"If-Match": '"\x00"'},
]
SKIPPED_ENDPOINTS = {"stream.events"}  # a live stream: its parameters are in test_stream_api.py


# --- the app and its callers -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(clone_db):
    logging.getLogger("gisapp").setLevel(logging.CRITICAL)  # the 500s this test hunts are asserted, not logged
    app = create_app(Settings(database_url=clone_db(), audit_key_value=TEST_AUDIT_KEY, **NO_RATE_LIMITS))
    yield app
    logging.getLogger("gisapp").setLevel(logging.NOTSET)
    app.extensions["gisapp.engine"].dispose()


@pytest.fixture(scope="module")
def world(app) -> dict:
    """Tokens per caller kind, the sample event and throwaway targets for the routes' path parameters."""
    engine = make_engine(app.config["SETTINGS"].resolved_database_url(), pool_size=1)
    factory = make_session_factory(engine)
    suffix = uuid.uuid4().hex[:8]
    api_key = new_integration(factory, f"hi-{suffix}", ["public", "hotline"])
    new_integration(factory, f"hi-throwaway-{suffix}", ["public"])
    with transaction(factory) as session:
        create_user(
            session,
            TEST_AUDIT_KEY,
            FIXTURE,
            username=f"hi-throwaway-{suffix}",
            role="planner",
            bound_to="320102",
            password=THROWAWAY_PASSWORD,
        )
    users = demo_usernames(factory)
    place = sample_place(factory)
    headers = {caller: {"Authorization": f"Bearer {fresh_token(factory, users[caller])}"} for caller in users}
    headers[INTEGRATION] = {"X-API-Key": api_key}
    created = app.test_client().post("/api/v1/events", json=event_body(place), headers=headers["county_commander"])
    assert created.status_code == 201, created.text
    engine.dispose()
    return {
        "headers": headers,
        "place": place,
        "path_values": {
            "event_id": str(created.json["id"]),
            "name": "grids",
            "filename": "css/app.css",
            "feature_id": "000000000000000",
            "username": f"hi-throwaway-{suffix}",
            "code": f"hi-throwaway-{suffix}",
            "token": created.json["tracking_token"],
            "job_id": "1",
            "photo_id": "1",
            "scorecard_id": "1",
            "z": "0",
            "x": "0",
            "y": "0",
        },
    }


def routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every route but a live stream."""
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - SKIPPED_METHODS
        if rule.endpoint not in SKIPPED_ENDPOINTS
    )


def callers(endpoint: str, world: dict) -> list[tuple[str, dict]]:
    """Anonymous, and the first caller kind the matrix lets in (its headers)."""
    kinds = [(ANONYMOUS, {})]
    for caller in CALLERS:
        if caller != ANONYMOUS and allowed(endpoint, caller):
            kinds.append((caller, dict(world["headers"][caller])))
            break
    return kinds


def fill(rule: str, world: dict, **override) -> str:
    return PARAM.sub(lambda m: override.get(m.group(1), world["path_values"][m.group(1)]), rule)


# --- what a good answer is -------------------------------------------------------------------------------------


def defect(r) -> str | None:
    """Why the answer is not acceptable to hostile input, or None."""
    if r.status_code >= 500:
        return f"{r.status_code} {r.get_data(as_text=True)[:120]!r}"
    if r.status_code < 400:
        return None
    if r.mimetype == "text/html":
        return (
            None
            if re.search(r"<code>[a-z_0-9]+</code>", r.get_data(as_text=True)) or "<form" in r.get_data(as_text=True)
            else "a 4xx page without its code"
        )
    body = r.get_json(silent=True)
    err = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(err, dict) and isinstance(err.get("code"), str) and isinstance(err.get("message"), str)):
        return f"{r.status_code} without the error shape: {r.get_data(as_text=True)[:120]!r}"
    return None


def send(client, method: str, path: str, headers: dict, **kwargs):
    response = client.open(path, method=method, headers=headers, **kwargs)
    response.get_data()  # read whole, then closed: a static file's handle must not wait for the collector
    response.close()
    return response


def collect(found: list, label: str, r) -> None:
    why = defect(r)
    if why:
        found.append(f"{label} -> {why}")


# --- the tests -------------------------------------------------------------------------------------------------


def test_hostile_path_parameters_never_answer_5xx(app, world):
    client, found = app.test_client(), []
    for endpoint, method, rule in routes(app):
        for name in PARAM.findall(rule):
            for value in PATH_VALUES:
                path = fill(rule, world, **{name: value})
                for caller, headers in callers(endpoint, world):
                    collect(found, f"{caller} {method} {path[:90]}", send(client, method, path, headers))
    assert not found, "\n".join(found)


def test_hostile_query_strings_never_answer_5xx(app, world):
    client, found = app.test_client(), []
    for endpoint, method, rule in routes(app):
        if method != "GET":  # the query strings of changes are the GETs' (If-Match, preview: in the body)
            continue
        path = fill(rule, world)
        for caller, headers in callers(endpoint, world):
            for name in QUERY_NAMES if caller != ANONYMOUS else ["q"]:
                for value in QUERY_VALUES:
                    url = f"{path}?{name}={value}"
                    collect(found, f"{caller} {method} {url}", send(client, method, url, headers))
    assert not found, "\n".join(found)


def test_hostile_json_bodies_never_answer_5xx(app, world):
    client, found = app.test_client(), []
    for endpoint, method, rule in routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE"):
            continue
        path = fill(rule, world)
        for caller, headers in callers(endpoint, world):
            for raw in RAW_BODIES:
                r = send(
                    client,
                    method,
                    path,
                    headers,
                    data=raw.encode("utf-8", "surrogatepass"),
                    content_type="application/json",
                )
                collect(found, f"{caller} {method} {path} {raw[:40]}", r)
            if caller == ANONYMOUS:
                continue
            base = request_body(endpoint, world["place"])
            for field in sorted(set(FIELDS) | set(base)):
                for value in BODY_VALUES:
                    body = json.dumps({**base, field: value})
                    r = send(client, method, path, headers, data=body, content_type="application/json")
                    collect(found, f"{caller} {method} {path} {field}={value!r:.30}", r)
    assert not found, "\n".join(found)


def test_hostile_credential_headers_never_answer_5xx(app, world):
    client, found = app.test_client(), []
    for endpoint, method, rule in routes(app):
        path = fill(rule, world)
        for headers in HEADERS:
            collect(found, f"{method} {path} {headers}", send(client, method, path, headers))
    assert not found, "\n".join(found)


# the login and password forms are open to all: the one place such input arrives before anyone signed in
@pytest.mark.parametrize("path", ["/login", "/password"])
@pytest.mark.parametrize("field", ["username", "password", "old_password", "new_password", "csrf_token", "next"])
def test_hostile_login_form_is_refused_with_4xx(app, path, field):
    client = app.test_client()
    client.set_cookie("gisapp_form_csrf", "t")  # the double-submit token matches: the hostile field is read
    form = {"username": "demo-county", "password": "x", "csrf_token": "t", field: NUL}
    r = client.post(path, data=form)
    assert 400 <= r.status_code < 500 and defect(r) is None, (r.status_code, r.get_data(as_text=True)[:200])


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


# the routes that parse the richest bodies by hand: any JSON value at all into any of their fields
@pytest.mark.parametrize(
    "endpoint",
    [
        "events.create_event",
        "events.act",
        "grids.edit_grids",
        "duplicates.merge",
        "duty.report",
        "users.create_account",
    ],
)
def test_any_json_into_a_hand_parsed_body_never_answers_5xx(app, world, endpoint):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    path = fill(rule.rule, world, code="320102001001")
    headers = next(h for caller, h in callers(endpoint, world) if caller != ANONYMOUS)
    client = app.test_client()
    base = request_body(endpoint, world["place"])

    @hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.dictionaries(st.sampled_from(sorted(set(FIELDS) | set(base))), json_values, max_size=3))
    def check(extra):
        body = json.dumps({**base, **extra})
        r = client.post(path, data=body, content_type="application/json", headers=headers)
        assert defect(r) is None, (body[:200], defect(r))

    check()
