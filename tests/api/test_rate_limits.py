"""Login attempts and event intake are limited per client address and per account, over real HTTP."""

import pytest
import requests
from sqlalchemy import text

from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.services.access.accounts import account_columns, account_from_row, issue_token
from tests.conftest import start_server


@pytest.fixture(scope="module")
def strict(clone_db):
    srv, server = start_server(
        clone_db(),
        login_rate_client=6,
        login_rate_account=3,
        intake_rate_client=100,
        intake_rate_principal=2,
        rate_window_seconds=3600,
    )  # an hour: no window turns over mid-test
    yield srv
    server.shutdown()
    server.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
    srv.app.extensions["gisapp.engine"].dispose()


def token(srv, username, password="Gisapp#Demo2026"):
    return requests.post(srv.url + "/api/v1/auth/token", json={"username": username, "password": password}, timeout=30)


def test_login_attempts_per_account_then_per_client(strict):
    codes = [token(strict, "demo-planner", "Wrong#Guess1").status_code for _ in range(3)]
    assert codes == [401, 401, 401]
    fourth = token(strict, "demo-planner")  # even the right password: the account's window is full
    assert fourth.status_code == 429 and fourth.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(fourth.headers["Retry-After"]) <= 3600
    # other accounts from the same address until the address's window is full
    assert token(strict, "demo-auditor").status_code == 201
    assert token(strict, "demo-admin").status_code == 201
    assert token(strict, "demo-security").status_code == 429


def test_intake_per_account(strict):
    conn = strict.db()
    with conn.cursor() as cur:
        cur.execute("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
        (category,) = cur.fetchone()
        cur.execute("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids LIMIT 1) g")
        lon, lat = cur.fetchone()
    conn.close()
    # a token made in the database: the login limit of this module is kept for the test above
    engine = make_engine(strict.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        row = session.execute(text(f"SELECT {account_columns('u')} FROM users u WHERE username = 'demo-county'")).one()
        value, _ = issue_token(session, account_from_row(row))
    engine.dispose()
    headers = {"Authorization": f"Bearer {value}"}
    body = {"category": category, "location": {"type": "Point", "coordinates": [lon, lat]}, "channel": "patrol"}
    codes = [
        requests.post(strict.url + "/api/v1/events", json=body, headers=headers, timeout=10).status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]
