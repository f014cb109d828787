"""Browser sessions over real HTTP: the login form, the cookie, CSRF, idle and absolute expiry, logout."""

import re

import pytest
import requests

from tests.conftest import start_server
from tests.support import query
from tests.web.browser import csrf_of, form_login

CATEGORY_SQL = "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1"


def one(live, sql, *args):
    rows = query(live, sql, *args)
    return rows[0] if rows else None


def test_anonymous_pages_lead_to_the_login_form(live):
    r = requests.get(live.url + "/?layer=grids", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=%2F%3Flayer%3Dgrids"
    page = requests.get(live.url + r.headers["Location"], timeout=10)
    assert page.status_code == 200
    assert re.search(r'<input name="username"', page.text) and re.search(
        r'name="password" [^>]*type="password"', page.text
    )
    assert 'name="next" value="/?layer=grids"' in page.text


def test_login_sets_a_new_httponly_samesite_session_cookie(live):
    http, r = form_login(live.url, "demo-township")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("gisapp_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the proxy test
    first = http.cookies["gisapp_session"]
    assert http.get(live.url + "/", timeout=10).status_code == 200
    # logging in again (same browser) gives a new session id and ends the old one
    again, r2 = form_login(live.url, "demo-township")
    assert again.cookies["gisapp_session"] != first
    stale = requests.get(live.url + "/", cookies={"gisapp_session": first}, allow_redirects=False, timeout=10)
    assert stale.status_code == 200  # a separate browser's session is not ended by another login
    assert (
        one(
            live,
            "SELECT count(*) FROM web_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE u.username = 'demo-township' AND s.ended_at IS NULL",
        )[0]
        >= 2
    )


def test_a_wrong_password_shows_the_form_again_and_is_audited(live):
    before = one(
        live, "SELECT count(*) FROM audit_log WHERE actor = 'demo-planner' AND action = 'login' AND NOT success"
    )[0]
    http, r = form_login(live.url, "demo-planner", "Wrong#Password1")
    assert r.status_code == 401 and 'data-code="authentication_failed"' in r.text
    assert "gisapp_session" not in http.cookies
    after = one(
        live, "SELECT count(*) FROM audit_log WHERE actor = 'demo-planner' AND action = 'login' AND NOT success"
    )[0]
    assert after == before + 1


def test_login_form_without_its_csrf_token_is_refused(live):
    r = requests.post(
        live.url + "/login",
        data={"username": "demo-county", "password": "Gisapp#Demo2026"},
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 403 and 'data-code="csrf_failed"' in r.text
    assert "gisapp_session" not in r.headers.get("Set-Cookie", "")


def test_next_never_leaves_the_site(live):
    http = requests.Session()
    page = http.get(live.url + "/login", params={"next": "//evil.example/x"}, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = http.post(
        live.url + "/login",
        data={
            "username": "demo-county",
            "password": "Gisapp#Demo2026",
            "csrf_token": token,
            "next": "https://evil.example/",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_cookie_calls_that_change_state_need_the_csrf_token(live):
    http, _ = form_login(live.url, "demo-county")
    (category,) = one(live, CATEGORY_SQL)
    (lon, lat) = one(
        live, "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids ORDER BY code LIMIT 1) g"
    )
    body = {"category": category, "location": {"type": "Point", "coordinates": [lon, lat]}, "channel": "patrol"}
    refused = http.post(live.url + "/api/v1/events", json=body, timeout=10)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    forged = http.post(live.url + "/api/v1/events", json=body, headers={"X-CSRF-Token": "guess"}, timeout=10)
    assert forged.status_code == 403
    token = csrf_of(http, live.url)
    made = http.post(live.url + "/api/v1/events", json=body, headers={"X-CSRF-Token": token}, timeout=10)
    assert made.status_code == 201, made.text
    denied = one(
        live,
        "SELECT count(*) FROM audit_log WHERE actor = 'demo-county' AND action = 'permission.denied' "
        "AND details->>'reason' = 'csrf_failed'",
    )[0]
    assert denied == 2


def test_logout_needs_the_token_and_ends_the_session(live):
    http, _ = form_login(live.url, "demo-grid")
    assert http.post(live.url + "/logout", allow_redirects=False, timeout=10).status_code == 403
    token = csrf_of(http, live.url)
    cookie = http.cookies["gisapp_session"]
    out = http.post(live.url + "/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10)
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    after = requests.get(live.url + "/", cookies={"gisapp_session": cookie}, allow_redirects=False, timeout=10)
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    assert one(
        live,
        "SELECT end_reason FROM web_sessions s JOIN users u ON u.id = s.user_id "
        "WHERE u.username = 'demo-grid' ORDER BY s.id DESC LIMIT 1",
    ) == ("logout",)


@pytest.mark.parametrize(
    "column, interval, reason",
    [
        ("last_seen_at", "31 minutes", "idle"),  # idle for more than 30 minutes
        ("created_at", "12 hours 1 minute", "expired"),  # older than 12 hours, however active
    ],
)
def test_sessions_end_when_idle_or_too_old(live, column, interval, reason):
    http, _ = form_login(live.url, "demo-dept")
    assert http.get(live.url + "/", timeout=10).status_code == 200
    one(
        live,
        f"UPDATE web_sessions SET {column} = {column} - interval '{interval}' WHERE id = "
        "(SELECT max(s.id) FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'demo-dept')",
    )
    r = http.get(live.url + "/", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"] == f"/login?next=%2F&ended={reason}"
    assert "gisapp_session=;" in r.headers["Set-Cookie"]  # the browser forgets the dead cookie
    page = http.get(live.url + r.headers["Location"], timeout=10)
    assert f'data-i18n="session.{reason}"' in page.text
    api = http.get(live.url + "/api/v1/events", timeout=10)
    assert api.status_code == 401
    assert (
        one(live, "SELECT count(*) FROM audit_log WHERE action = 'session.end' AND details->>'reason' = %s", reason)[0]
        >= 1
    )


def test_disabling_an_account_ends_its_browser_sessions(live):
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.access.accounts import create_user, disable_user
    from gisapp.services.access.audit import Actor
    from tests.support import TEST_AUDIT_KEY

    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        create_user(
            session,
            TEST_AUDIT_KEY,
            Actor("t"),
            username="short-lived",
            role="planner",
            bound_to="320102",
            password="Planner#2026x",
        )
    http, _ = form_login(live.url, "short-lived", "Planner#2026x")
    assert http.get(live.url + "/", timeout=10).status_code == 200
    with transaction(make_session_factory(engine)) as session:
        disable_user(session, TEST_AUDIT_KEY, Actor("t"), "short-lived")
    engine.dispose()
    assert http.get(live.url + "/", allow_redirects=False, timeout=10).status_code == 302


def test_behind_an_https_proxy_the_cookie_is_secure(clone_db):
    srv, server = start_server(clone_db(), behind_proxy=True)
    try:
        http = requests.Session()
        http.headers["X-Forwarded-Proto"] = "https"
        page = http.get(srv.url + "/login", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        # requests keeps Secure cookies for https only: send the login CSRF cookie by hand
        r = http.post(
            srv.url + "/login",
            data={"username": "demo-county", "password": "Gisapp#Demo2026", "csrf_token": token, "next": "/"},
            cookies={
                "gisapp_form_csrf": page.cookies.get("gisapp_form_csrf")
                or re.search(r"gisapp_form_csrf=([^;]+)", page.headers["Set-Cookie"]).group(1)
            },
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 302, r.text
        assert "Secure" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    finally:
        server.shutdown()
        server.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
        srv.app.extensions["gisapp.engine"].dispose()
