"""The security administrator's account and integration API, and the system administrator's status call."""

import requests

NEW_PASSWORD = "Wuxiang#2026a"


def test_accounts_are_created_listed_and_disabled(live):
    admin = live.client("demo-security")
    made = admin.post(
        live.url + "/api/v1/users",
        json={
            "username": "officer-9",
            "role": "grid_officer",
            "bound_to": live.client("demo-grid").get(live.url + "/api/v1/auth/me", timeout=10).json()["area"]["code"],
            "password": NEW_PASSWORD,
            "display_name": "九号网格员",
        },
        timeout=30,
    )
    assert made.status_code == 201, made.text
    listed = admin.get(live.url + "/api/v1/users", timeout=10).json()["items"]
    entry = next(u for u in listed if u["username"] == "officer-9")
    assert entry["role"] == "grid_officer" and entry["disabled"] is False
    assert all("password_hash" not in u for u in listed)
    token = requests.post(
        live.url + "/api/v1/auth/token", json={"username": "officer-9", "password": NEW_PASSWORD}, timeout=30
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(live.url + "/api/v1/auth/me", headers=auth, timeout=10).status_code == 200
    assert admin.post(live.url + "/api/v1/users/officer-9/disable", timeout=10).status_code == 200
    assert requests.get(live.url + "/api/v1/auth/me", headers=auth, timeout=10).status_code == 401


def test_policy_and_binding_errors_are_named(live):
    admin = live.client("demo-security")
    weak = admin.post(
        live.url + "/api/v1/users",
        json={"username": "weak-1", "role": "planner", "bound_to": "320102", "password": "password"},
        timeout=10,
    )
    assert weak.status_code == 422 and weak.json()["error"]["code"].startswith("password_")
    role = admin.post(
        live.url + "/api/v1/users",
        json={"username": "role-1", "role": "king", "bound_to": "320102", "password": NEW_PASSWORD},
        timeout=10,
    )
    assert role.status_code == 422 and role.json()["error"]["code"] == "unknown_role"
    missing = admin.post(live.url + "/api/v1/users", json={"username": "x"}, timeout=10)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_body"
    nobody = admin.post(live.url + "/api/v1/users/no-such-user/disable", timeout=10)
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "unknown_user"


def test_a_reset_unlocks_a_locked_account(live):
    admin = live.client("demo-security")
    assert (
        admin.post(
            live.url + "/api/v1/users",
            json={"username": "locked-1", "role": "planner", "bound_to": "320102", "password": NEW_PASSWORD},
            timeout=30,
        ).status_code
        == 201
    )
    for _ in range(5):
        requests.post(
            live.url + "/api/v1/auth/token", json={"username": "locked-1", "password": "Bad#Guess99"}, timeout=30
        )
    locked = requests.post(
        live.url + "/api/v1/auth/token", json={"username": "locked-1", "password": NEW_PASSWORD}, timeout=30
    )
    assert locked.status_code == 401 and locked.json()["error"]["code"] == "account_locked"
    reset = admin.post(live.url + "/api/v1/users/locked-1/password", json={"password": "Fresh#Start2026"}, timeout=30)
    assert reset.status_code == 200
    again = requests.post(
        live.url + "/api/v1/auth/token", json={"username": "locked-1", "password": "Fresh#Start2026"}, timeout=30
    )
    assert again.status_code == 201


def test_integrations_get_a_key_once_and_can_be_disabled(live):
    admin = live.client("demo-security")
    made = admin.post(
        live.url + "/api/v1/integrations",
        json={"code": "hotline-12345", "name": "12345 热线", "channels": ["hotline"]},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    key = made.json()["api_key"]
    assert key.startswith("gak_") and made.json()["county"] == "320102"
    listed = admin.get(live.url + "/api/v1/integrations", timeout=10).json()["items"]
    entry = next(i for i in listed if i["code"] == "hotline-12345")
    assert (entry["name"], entry["channels"], entry["disabled"]) == ("12345 热线", ["hotline"], False)
    assert all("api_key" not in i and "key_hash" not in i for i in listed)
    cats = requests.get(live.url + "/api/v1/categories", headers={"X-API-Key": key}, timeout=10)
    assert cats.status_code == 200
    assert admin.post(live.url + "/api/v1/integrations/hotline-12345/disable", timeout=10).status_code == 200
    assert requests.get(live.url + "/api/v1/categories", headers={"X-API-Key": key}, timeout=10).status_code == 401
    bad = admin.post(live.url + "/api/v1/integrations", json={"code": "x", "name": "", "channels": []}, timeout=10)
    assert bad.status_code == 422


def test_system_status_is_for_the_system_administrator(live):
    status = live.client("demo-admin").get(live.url + "/api/v1/system/status", timeout=10)
    assert status.status_code == 200
    body = status.json()
    assert body["schema"]["pending"] == 0 and body["schema"]["latest"].endswith(".sql")
    assert body["database"]["postgis"].startswith("3.")
    assert body["security"]["session_idle_minutes"] == 30 and body["security"]["audit_retention_days"] >= 180
    assert live.client("demo-security").get(live.url + "/api/v1/system/status", timeout=10).status_code == 403


def test_the_administrative_posts_are_not_managed_over_http(live):
    """三员分立: a security administrator cannot reset the auditor's password and become the auditor."""
    admin = live.client("demo-security")
    for username in ("demo-auditor", "demo-admin", "demo-security"):
        for path, body in (("password", {"password": "Takeover#2026"}), ("disable", None)):
            r = admin.post(f"{live.url}/api/v1/users/{username}/{path}", json=body, timeout=30)
            assert r.status_code == 403 and r.json()["error"]["code"] == "admin_post_protected", (username, path)
    made = admin.post(
        live.url + "/api/v1/users",
        json={"username": "second-auditor", "role": "auditor", "bound_to": "320102", "password": NEW_PASSWORD},
        timeout=30,
    )
    assert made.status_code == 403 and made.json()["error"]["code"] == "admin_post_protected"
    assert live.client("demo-auditor").get(live.url + "/api/v1/audit", timeout=10).status_code == 200
