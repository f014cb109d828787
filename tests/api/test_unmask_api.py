"""Reporters' personal data: masked in every event answer; unmasked only deliberately, in scope, audited."""

import pytest
import requests

from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.services.access.accounts import create_user
from gisapp.services.access.audit import Actor

PASSWORD = "Meiyuan#2026"


@pytest.fixture(scope="module")
def event(live):
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT ST_X(p), ST_Y(p), g.code, c.township_code FROM (SELECT code, community_code, "
            "ST_PointOnSurface(geom) p FROM grids ORDER BY code LIMIT 1) g "
            "JOIN communities c ON c.code = g.community_code"
        )
        lon, lat, grid, township = cur.fetchone()
        cur.execute("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
        (category,) = cur.fetchone()
        cur.execute("SELECT code FROM townships WHERE code <> %s ORDER BY code LIMIT 1", (township,))
        (other_township,) = cur.fetchone()
    conn.close()
    r = live.client().post(
        live.url + "/api/v1/events",
        json={
            "category": category,
            "location": {"type": "Point", "coordinates": [lon, lat]},
            "channel": "hotline",
            "reporter": {"name": "张三丰", "phone": "13812345678"},
        },
        timeout=30,
    )
    assert r.status_code == 201
    key = live.app.config["AUDIT_KEY"]
    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        admin = Actor("fixture", "security_admin", None)
        for username, role, bound in (
            ("u-own-township", "township_dispatcher", township),
            ("u-other-township", "township_dispatcher", other_township),
            ("u-planner", "planner", "320102"),
            ("u-county", "county_commander", "320102"),
        ):
            create_user(session, key, admin, username=username, role=role, bound_to=bound, password=PASSWORD)
    engine.dispose()
    return r.json()


def bearer(live, username):
    token = requests.post(
        live.url + "/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_event_answers_mask_the_reporter(live, event):
    assert event["reporter"] == {"name": "张**", "phone": "138****5678"}
    again = live.client().get(f"{live.url}/api/v1/events/{event['id']}", timeout=10).json()
    assert again["reporter"] == {"name": "张**", "phone": "138****5678"}


@pytest.mark.parametrize("username", ["u-own-township", "u-county"])
def test_in_scope_roles_unmask_and_are_audited(live, event, username):
    r = requests.get(f"{live.url}/api/v1/events/{event['id']}/reporter", headers=bearer(live, username), timeout=10)
    assert r.status_code == 200 and r.json() == {"name": "张三丰", "phone": "13812345678"}
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM audit_log WHERE actor = %s AND action = 'personal_data.unmask' AND target = %s",
            (username, f"event:{event['id']}"),
        )
        assert cur.fetchone()[0] >= 1
    conn.close()


@pytest.mark.parametrize(
    "username, status",
    [
        # a dispatcher of another township does not learn that the event exists
        ("u-other-township", 404),
        # a planner has no access to personal data at all
        ("u-planner", 403),
    ],
)
def test_out_of_scope_roles_are_refused(live, event, username, status):
    r = requests.get(f"{live.url}/api/v1/events/{event['id']}/reporter", headers=bearer(live, username), timeout=10)
    assert r.status_code == status


def test_anonymous_unmasking_is_401(live, event):
    assert requests.get(f"{live.url}/api/v1/events/{event['id']}/reporter", timeout=10).status_code == 401
