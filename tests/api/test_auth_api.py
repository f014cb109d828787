"""Bearer tokens over real HTTP: obtain, use, revoke; lockout; every outcome audited."""

import pytest
import requests

from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.services.access.accounts import create_user
from gisapp.services.access.audit import Actor

PASSWORD = "Meiyuan#2026"


@pytest.fixture(scope="module")
def accounts(live):
    key = live.app.config["AUDIT_KEY"]
    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        admin = Actor("fixture", "security_admin", None)
        create_user(
            session,
            key,
            admin,
            username="u-township",
            role="township_dispatcher",
            bound_to="320102002",
            password=PASSWORD,
        )
        create_user(
            session,
            key,
            admin,
            username="u-dept",
            role="department_staff",
            bound_to="urban_management",
            password=PASSWORD,
        )
        create_user(session, key, admin, username="u-locked", role="planner", bound_to="320102", password=PASSWORD)
    engine.dispose()


def token_for(live, username, password=PASSWORD):
    return requests.post(live.url + "/api/v1/auth/token", json={"username": username, "password": password}, timeout=30)


def test_token_me_and_revoke(live, accounts):
    r = token_for(live, "u-township")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_at"].endswith("Z")
    auth = {"Authorization": f"Bearer {body['token']}"}
    me = requests.get(live.url + "/api/v1/auth/me", headers=auth, timeout=10).json()
    assert me == {
        "username": "u-township",
        "role": "township_dispatcher",
        "area": {"level": "township", "code": "320102002", "name": "梅园新村街道"},
        "department": None,
    }
    assert requests.post(live.url + "/api/v1/auth/revoke", headers=auth, timeout=10).status_code == 204
    again = requests.get(live.url + "/api/v1/auth/me", headers=auth, timeout=10)
    assert again.status_code == 401 and again.json()["error"]["code"] == "authentication_required"


def test_department_account_names_its_department(live, accounts):
    token = token_for(live, "u-dept").json()["token"]
    me = requests.get(live.url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert me["area"] is None and me["department"]["code"] == "urban_management" and me["department"]["name"]


@pytest.mark.parametrize(
    "headers",
    [
        # no credentials at all
        {},
        # a made-up token
        {"Authorization": "Bearer not-a-token"},
        # the wrong scheme
        {"Authorization": "Basic ZGVtbzp4"},
    ],
)
def test_me_without_a_valid_token_is_401(live, headers):
    r = requests.get(live.url + "/api/v1/auth/me", headers=headers, timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "authentication_required"


def test_five_wrong_passwords_lock_the_account_and_are_audited(live, accounts):
    for _ in range(5):
        assert token_for(live, "u-locked", "wrong").status_code == 401
    locked = token_for(live, "u-locked")
    assert locked.status_code == 401 and locked.json()["error"]["code"] == "account_locked"
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute("SELECT action, success FROM audit_log WHERE actor = 'u-locked' ORDER BY id")
        rows = cur.fetchall()
    conn.close()
    assert rows.count(("login", False)) == 6 and ("account.lock", True) in rows


def test_credentials_must_be_json(live):
    r = requests.post(
        live.url + "/api/v1/auth/token",
        data="username=a&password=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert r.status_code == 415
    r = requests.post(live.url + "/api/v1/auth/token", json={"username": "a"}, timeout=10)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_credentials_body"


@pytest.fixture(scope="module")
def auditor(live, accounts):
    key = live.app.config["AUDIT_KEY"]
    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        create_user(
            session,
            key,
            Actor("fixture", "security_admin", None),
            username="u-auditor",
            role="auditor",
            bound_to="320102",
            password=PASSWORD,
        )
    engine.dispose()
    return {"Authorization": f"Bearer {token_for(live, 'u-auditor').json()['token']}"}


def test_only_the_auditor_reads_the_audit_trail(live, auditor):
    r = requests.get(live.url + "/api/v1/audit", headers=auditor, params={"action": "login"}, timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] >= 1 and all(item["action"] == "login" for item in body["items"])
    assert {"id", "at", "actor", "role", "client_addr", "action", "target", "success", "details"} <= set(
        body["items"][0]
    )
    # another role is refused, and the refusal itself is recorded
    township = {"Authorization": f"Bearer {token_for(live, 'u-township').json()['token']}"}
    denied = requests.get(live.url + "/api/v1/audit", headers=township, timeout=10)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    seen = requests.get(
        live.url + "/api/v1/audit",
        headers=auditor,
        params={"action": "permission.denied", "actor": "u-township"},
        timeout=10,
    ).json()
    assert seen["total"] == 1 and seen["items"][0]["target"] == "GET /api/v1/audit"
    assert requests.get(live.url + "/api/v1/audit", timeout=10).status_code == 401


def test_an_expired_password_must_be_changed_first(live, accounts):
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute("UPDATE users SET password_changed_at = now() - interval '91 days' WHERE username = 'u-dept'")
    conn.commit()
    conn.close()
    expired = token_for(live, "u-dept")
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "password_expired"

    def change(new):
        return requests.post(
            live.url + "/api/v1/auth/password",
            json={"username": "u-dept", "old_password": PASSWORD, "new_password": new},
            timeout=30,
        )

    weak = change("12345678")
    assert weak.status_code == 422 and weak.json()["error"]["code"].startswith("password_")
    assert change("Chengguan#2027").status_code == 204
    assert token_for(live, "u-dept", "Chengguan#2027").status_code == 201
    assert token_for(live, "u-dept").status_code == 401
