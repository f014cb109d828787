"""The permission matrix, enforced: every route of the live app called as every kind of caller.

Deny by default (gisapp/domain/permissions.py): a route missing from MATRIX is refused to all,
a caller kind not listed for a route gets the matrix refusal (401 / login redirect / 403), and a
caller that is listed is never refused by the matrix, whatever the view then answers (< 500).
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import text

from gisapp.config import PROJECT_ROOT
from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.domain.permissions import ANONYMOUS, CALLERS, INTEGRATION, MATRIX, allowed, matrix_markdown
from gisapp.domain.security import Role
from gisapp.services.access.accounts import DEMO_PASSWORD, account_columns, account_from_row, create_user, issue_token
from gisapp.services.access.audit import Actor
from gisapp.services.access.integrations import create_integration
from tests.conftest import start_server
from tests.support import TEST_AUDIT_KEY

NO_RATE_LIMITS = {"login_rate_client": 0, "login_rate_account": 0, "intake_rate_client": 0, "intake_rate_principal": 0}
FIXTURE = Actor("permission-matrix-test", "security_admin", None)
THROWAWAY_PASSWORD = "Meiyuan#2026"
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


# --- credentials and data, made directly in the database (no HTTP login, no rate limits) ---------


def fresh_token(factory, username: str) -> str:
    """A new bearer token of an account, issued in the database."""
    with transaction(factory) as session:
        row = session.execute(
            text(f"SELECT {account_columns('u')} FROM users u WHERE u.username = :u"), {"u": username}
        ).one()
        token, _ = issue_token(session, account_from_row(row))
    return token


def demo_usernames(factory) -> dict[str, str]:
    """role -> the demo account holding it."""
    with transaction(factory) as session:
        rows = session.execute(
            text("SELECT role, min(username) FROM users WHERE username LIKE 'demo-%' GROUP BY role")
        ).all()
    found = dict(rows)
    assert set(found) >= {str(r) for r in Role}, found
    return found


def new_integration(factory, code: str, channels: list[str]) -> str:
    """Register an integration of the demo county; its API key."""
    with transaction(factory) as session:
        _, api_key = create_integration(
            session,
            TEST_AUDIT_KEY,
            FIXTURE,
            code=code,
            name=f"测试接入 {code}",
            county_code="320102",
            channels=channels,
        )
    return api_key


def sample_place(factory) -> dict:
    """A point inside demo-grid's grid (so the county, township and grid roles see the event) and a category.

    The demo has no level-2 category of demo-dept's department, so demo-dept does not see it (404): fine,
    a 404 from the view is not a matrix refusal."""
    with transaction(factory) as session:
        lon, lat = session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.geom) AS p FROM grids g "
                "JOIN users u ON u.grid_code = g.code WHERE u.username = 'demo-grid') x"
            )
        ).one()
        category = session.execute(
            text("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
        ).scalar_one()
    return {"lon": lon, "lat": lat, "category": category}


def event_body(place: dict) -> dict:
    return {
        "category": place["category"],
        "description": "权限矩阵测试",
        "location": {"type": "Point", "coordinates": [place["lon"], place["lat"]]},
        "channel": "hotline",
        "reporter": {"name": "王五", "phone": "13900001111"},
    }


# --- the server of this module, and what the calls need -------------------------------------------


@pytest.fixture(scope="module")
def server(clone_db):
    srv, httpd = start_server(clone_db(), **NO_RATE_LIMITS)
    yield srv
    httpd.shutdown()
    httpd.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
    srv.app.extensions["gisapp.engine"].dispose()


@pytest.fixture(scope="module")
def factory(server):
    engine = make_engine(server.database_url, pool_size=1)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def prepared(server, factory) -> dict:
    """The integration, the sample event, the throwaway account and integration the routes act on."""
    suffix = uuid.uuid4().hex[:8]
    api_key = new_integration(factory, f"pm-main-{suffix}", ["public", "hotline"])
    throwaway_code = f"pm-throwaway-{suffix}"
    new_integration(factory, throwaway_code, ["public"])
    throwaway_user = f"pm-throwaway-{suffix}"
    with transaction(factory) as session:
        create_user(
            session,
            TEST_AUDIT_KEY,
            FIXTURE,
            username=throwaway_user,
            role="planner",
            bound_to="320102",
            password=THROWAWAY_PASSWORD,
        )
    place = sample_place(factory)
    r = requests.post(
        server.url + "/api/v1/events",
        json=event_body(place),
        timeout=30,
        headers={"Authorization": f"Bearer {fresh_token(factory, 'demo-county')}"},
    )
    assert r.status_code == 201, r.text
    return {
        "api_key": api_key,
        "usernames": demo_usernames(factory),
        "place": place,
        "path_values": {
            "event_id": str(r.json()["id"]),
            "name": "grids",
            "filename": "css/app.css",
            "feature_id": "000000000000000",
            "username": throwaway_user,
            "code": throwaway_code,
            "token": r.json()["tracking_token"],
            "job_id": "1",
            "photo_id": "1",
            "scorecard_id": "1",
            "z": "0",
            "x": "0",
            "y": "0",
        },
    }  # the one tile of zoom 0


QUERY = {"stream.events": "?max_seconds=1"}  # a live stream ends after a second instead of five minutes


def routes(app, path_values: dict) -> list[tuple[str, str, str]]:
    """Every (endpoint, method, path) the app serves, its path parameters filled in."""
    out = []
    for rule in app.url_map.iter_rules():
        path = PARAM.sub(lambda m: path_values[m.group(1)], rule.rule) + QUERY.get(rule.endpoint, "")
        out.extend((rule.endpoint, method, path) for method in sorted(rule.methods - SKIPPED_METHODS))
    return sorted(out)


def request_body(endpoint: str, place: dict) -> dict:
    """A minimal valid body where it is easy (fresh names each call), else {}: access is under test."""
    unique = uuid.uuid4().hex[:8]
    return {
        "events.create_event": event_body(place),
        "auth.token": {"username": "demo-planner", "password": DEMO_PASSWORD},
        "users.create_account": {
            "username": f"pm-new-{unique}",
            "role": "planner",
            "bound_to": "320102",
            "password": "Chunfeng#2027",
        },
        "users.reset_account_password": {"password": "Qiuyue#2028x"},
        "users.integration_create": {"code": f"pm-new-{unique}", "name": "矩阵测试", "channels": ["public"]},
    }.get(endpoint, {})


def credentials(caller: str, prepared: dict, factory) -> dict:
    """Headers of a caller kind: a FRESH bearer token per call for a role (revoke/disable spoil nothing)."""
    if caller == ANONYMOUS:
        return {}
    if caller == INTEGRATION:
        return {"X-API-Key": prepared["api_key"]}
    return {"Authorization": f"Bearer {fresh_token(factory, prepared['usernames'][caller])}"}


# --- what a matrix refusal looks like ---------------------------------------------------------------


def error_code(r: requests.Response) -> str | None:
    """The stable error code of a JSON error, or of the HTML error page browsers get."""
    try:
        body = r.json()
    except ValueError:
        found = re.search(r"<p><code>([a-z_]+)</code></p>", r.text)
        return found.group(1) if found else None
    err = body.get("error") if isinstance(body, dict) else None
    return err.get("code") if isinstance(err, dict) else None


def matrix_refusal(r: requests.Response) -> str | None:
    """Which refusal of the access hook this is, or None.

    The login redirect always carries next=; a bare 302 to /login is the logout's normal answer.
    """
    if r.status_code == 302:
        location = urlsplit(r.headers.get("Location", ""))
        return "login_redirect" if location.path == "/login" and "next" in parse_qs(location.query) else None
    code = error_code(r)
    if r.status_code == 401 and code == "authentication_required":
        return "authentication_required"
    if r.status_code == 403 and code == "forbidden":
        return "forbidden"
    return None


def expected_refusal(endpoint: str, caller: str) -> str:
    if caller != ANONYMOUS:
        return "forbidden"
    return "login_redirect" if endpoint.startswith("web.") else "authentication_required"


# --- the tests ----------------------------------------------------------------------------------------


def test_every_route_of_the_app_is_in_the_matrix(server, prepared):
    served = {endpoint for endpoint, _, _ in routes(server.app, prepared["path_values"])}
    assert served == set(MATRIX), (
        f"served but not in MATRIX: {sorted(served - set(MATRIX))}; "
        f"in MATRIX but not served: {sorted(set(MATRIX) - served)}"
    )


@pytest.mark.parametrize("caller", CALLERS)
def test_every_route_answers_every_caller_as_the_matrix_says(server, factory, prepared, caller):
    place = prepared["place"]
    query = {"meta.locate_point": {"lon": place["lon"], "lat": place["lat"]}}
    mismatches = []
    for endpoint, method, path in routes(server.app, prepared["path_values"]):
        r = requests.request(
            method,
            server.url + path,
            headers=credentials(caller, prepared, factory),
            params=query.get(endpoint),
            json=request_body(endpoint, place) if method == "POST" else None,
            allow_redirects=False,
            timeout=30,
        )
        refusal = matrix_refusal(r)
        if allowed(endpoint, caller):
            wrong = refusal is not None or r.status_code >= 500
            want = "not refused by the matrix, < 500"
        else:
            wrong = refusal != expected_refusal(endpoint, caller)
            want = f"refused: {expected_refusal(endpoint, caller)}"
        if wrong:
            snippet = r.text[:160].replace("\n", " ")
            mismatches.append(
                f"{caller:20} {method:5} {path:45} [{endpoint}] -> {r.status_code} "
                f"{r.headers.get('Location', '')} {snippet!r}; expected {want}"
            )
    assert not mismatches, f"{len(mismatches)} answers disagree with the matrix:\n" + "\n".join(mismatches)


def test_a_route_missing_from_the_matrix_is_refused_to_everyone(clone_db):
    srv, httpd = start_server(
        clone_db(), prepare=lambda app: app.add_url_rule("/api/v1/unlisted", "unlisted", lambda: "secret")
    )
    engine = make_engine(srv.database_url, pool_size=1)
    try:
        factory = make_session_factory(engine)
        url = srv.url + "/api/v1/unlisted"
        users = demo_usernames(factory)
        for role in Role:
            r = requests.get(
                url, headers={"Authorization": f"Bearer {fresh_token(factory, users[str(role)])}"}, timeout=10
            )
            assert (r.status_code, error_code(r)) == (403, "forbidden"), (role, r.text)
            assert "secret" not in r.text
        api_key = new_integration(factory, "pm-unlisted", ["public"])
        r = requests.get(url, headers={"X-API-Key": api_key}, timeout=10)
        assert (r.status_code, error_code(r)) == (403, "forbidden") and "secret" not in r.text
        r = requests.get(url, timeout=10)
        assert (r.status_code, error_code(r)) == (401, "authentication_required") and "secret" not in r.text
    finally:
        engine.dispose()
        httpd.shutdown()
        httpd.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
        srv.app.extensions["gisapp.engine"].dispose()


def audit_denials(server, target: str) -> list[tuple]:
    conn = server.db()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT actor, role, success, details->>'reason' FROM audit_log "
                "WHERE action = 'permission.denied' AND target = %s ORDER BY id",
                (target,),
            )
            return cur.fetchall()
    finally:
        conn.close()


def test_a_forbidden_call_is_audited_with_caller_role_and_target(server, factory, prepared):
    # an event id of this test's own, so that no other call has written the same target
    path = f"/api/v1/events/{900000000 + uuid.uuid4().int % 10000000}/reporter"
    assert audit_denials(server, f"GET {path}") == []
    token = fresh_token(factory, prepared["usernames"]["planner"])
    r = requests.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert (r.status_code, error_code(r)) == (403, "forbidden")
    assert audit_denials(server, f"GET {path}") == [(prepared["usernames"]["planner"], "planner", False, "forbidden")]


def test_the_security_docs_carry_the_matrix_verbatim():
    docs = (PROJECT_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert matrix_markdown() in docs, "docs/security.md lacks the table of permissions.matrix_markdown()"
