"""Photos of events over real HTTP: upload (multipart or raw), read back, retries, limits, scoping, audit."""

import dataclasses
import hashlib

import pytest
import requests

from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.services.access.accounts import create_user
from gisapp.services.access.audit import Actor
from tests.photo_bytes import tiny_jpeg, tiny_png

PASSWORD = "Meiyuan#2026"


def _place(live) -> dict:
    """A point in demo-grid's grid, a category, another township and another grid of the county."""
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT ST_X(p), ST_Y(p), g.code, c.township_code FROM (SELECT g.code, g.community_code, "
            "ST_PointOnSurface(g.geom) p FROM grids g JOIN users u ON u.grid_code = g.code "
            "WHERE u.username = 'demo-grid') g JOIN communities c ON c.code = g.community_code"
        )
        lon, lat, grid, township = cur.fetchone()
        cur.execute("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
        (category,) = cur.fetchone()
        cur.execute("SELECT code FROM townships WHERE code <> %s ORDER BY code LIMIT 1", (township,))
        (other_township,) = cur.fetchone()
        cur.execute("SELECT code FROM grids WHERE code <> %s ORDER BY code LIMIT 1", (grid,))
        (other_grid,) = cur.fetchone()
    conn.close()
    return {"lon": lon, "lat": lat, "category": category, "other_township": other_township, "other_grid": other_grid}


@pytest.fixture(scope="module")
def place(live):
    found = _place(live)
    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        admin = Actor("fixture", "security_admin", None)
        for username, role, bound in (
            ("ph-other-township", "township_dispatcher", found["other_township"]),
            ("ph-other-grid", "grid_officer", found["other_grid"]),
        ):
            create_user(
                session,
                live.app.config["AUDIT_KEY"],
                admin,
                username=username,
                role=role,
                bound_to=bound,
                password=PASSWORD,
            )
    engine.dispose()
    return found


def new_event(live, place) -> int:
    r = live.client("demo-grid").post(
        live.url + "/api/v1/events",
        json={
            "category": place["category"],
            "description": "照片测试",
            "location": {"type": "Point", "coordinates": [place["lon"], place["lat"]]},
            "channel": "patrol",
        },
        timeout=30,
    )
    assert r.status_code in (200, 201), r.text
    return r.json()["id"]


def bearer(live, username):
    token = requests.post(
        live.url + "/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def upload(http, live, event_id, data, *, raw_type=None, **kwargs):
    url = f"{live.url}/api/v1/events/{event_id}/photos"
    if raw_type:
        return http.post(
            url, data=data, headers={"Content-Type": raw_type, **kwargs.pop("headers", {})}, timeout=30, **kwargs
        )
    return http.post(url, files={"file": ("photo.bin", data, "application/octet-stream")}, timeout=30, **kwargs)


@pytest.fixture()
def settings_of(live):
    """Change the live app's settings for one test, then put them back."""
    before = live.app.config["SETTINGS"]
    yield lambda **changes: live.app.config.__setitem__("SETTINGS", dataclasses.replace(before, **changes))
    live.app.config["SETTINGS"] = before


def test_upload_reads_back_byte_equal_and_is_listed_and_audited(live, place):
    event_id = new_event(live, place)
    data = tiny_png(5, 4)
    r = upload(live.client("demo-grid"), live, event_id, data)
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["sha256"] == hashlib.sha256(data).hexdigest()
    assert (photo["media_type"], photo["size"], photo["width"], photo["height"]) == ("image/png", len(data), 5, 4)
    assert photo["url"] == f"/api/v1/photos/{photo['id']}" and r.headers["Location"] == photo["url"]
    back = live.client("demo-township").get(live.url + photo["url"], timeout=30)
    assert back.status_code == 200 and back.content == data
    assert back.headers["Content-Type"] == "image/png"
    assert back.headers["ETag"] == f'"{photo["sha256"]}"' and back.headers["X-Content-Type-Options"] == "nosniff"
    assert back.headers["Cache-Control"].startswith("private")
    again = live.client("demo-township").get(
        live.url + photo["url"], headers={"If-None-Match": back.headers["ETag"]}, timeout=30
    )
    assert again.status_code == 304 and again.content == b""
    detail = live.client("demo-county").get(f"{live.url}/api/v1/events/{event_id}", timeout=30).json()
    assert [(p["id"], p["url"]) for p in detail["photos"]] == [(photo["id"], photo["url"])]
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT actor, details->>'photo_id', details->>'sha256' FROM audit_log "
            "WHERE action = 'event.photo' AND target = %s",
            (f"event:{event_id}",),
        )
        assert cur.fetchall() == [("demo-grid", str(photo["id"]), photo["sha256"])]
    conn.close()


def test_a_raw_jpeg_body_is_accepted_and_a_retry_is_the_same_photo(live, place):
    event_id = new_event(live, place)
    data = tiny_jpeg(640, 480)
    first = upload(live.client("demo-grid"), live, event_id, data, raw_type="image/jpeg")
    assert first.status_code == 201, first.text
    assert (first.json()["media_type"], first.json()["width"], first.json()["height"]) == ("image/jpeg", 640, 480)
    retry = upload(live.client("demo-grid"), live, event_id, data)  # the same bytes, now as multipart
    assert retry.status_code == 200 and retry.json() == first.json()
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM event_photos WHERE event_id = %s", (event_id,))
        assert cur.fetchone()[0] == 1
        cur.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'event.photo' AND target = %s", (f"event:{event_id}",)
        )
        assert cur.fetchone()[0] == 1
    conn.close()
    back = live.client("demo-grid").get(live.url + first.json()["url"], timeout=30)
    assert back.content == data and back.headers["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    "data, raw_type",
    [
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", None),  # another image format
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/png"),  # declared PNG, is not one
    ],
)
def test_a_file_that_is_not_jpeg_or_png_is_415(live, place, data, raw_type):
    event_id = new_event(live, place)
    r = upload(live.client("demo-grid"), live, event_id, data, raw_type=raw_type)
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_photo"


def test_a_json_body_is_415_not_malformed_json(live, place):
    r = live.client("demo-grid").post(f"{live.url}/api/v1/events/{new_event(live, place)}/photos", json={}, timeout=30)
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_photo"


def test_a_photo_over_the_limit_is_413_and_nothing_is_kept(live, place, settings_of):
    event_id = new_event(live, place)
    settings_of(max_photo_bytes=200)
    for raw_type in (None, "image/png"):
        r = upload(live.client("demo-grid"), live, event_id, tiny_png(60, 60, shade=7) + bytes(300), raw_type=raw_type)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    conn = live.db()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM event_photos WHERE event_id = %s", (event_id,))
        assert cur.fetchone()[0] == 0
    conn.close()


def test_one_photo_more_than_the_limit_is_409(live, place, settings_of):
    event_id = new_event(live, place)
    settings_of(max_photos_per_event=2)
    for shade in (1, 2):
        assert upload(live.client("demo-grid"), live, event_id, tiny_png(shade=shade)).status_code == 201
    r = upload(live.client("demo-grid"), live, event_id, tiny_png(shade=3))
    assert r.status_code == 409 and r.json()["error"]["code"] == "too_many_photos"
    # a retry of a photo already kept is still answered
    assert upload(live.client("demo-grid"), live, event_id, tiny_png(shade=1)).status_code == 200


@pytest.mark.parametrize("username", ["ph-other-township", "ph-other-grid"])
def test_callers_outside_the_event_area_get_404_both_ways(live, place, username):
    event_id = new_event(live, place)
    photo = upload(live.client("demo-grid"), live, event_id, tiny_png(shade=9)).json()
    outsider = requests.Session()
    outsider.headers.update(bearer(live, username))
    r = upload(outsider, live, event_id, tiny_png(shade=10))
    assert r.status_code == 404 and r.json()["error"]["code"] == "event_not_found"
    r = outsider.get(live.url + photo["url"], timeout=30)
    assert r.status_code == 404 and r.json()["error"]["code"] == "photo_not_found"


def test_anonymous_callers_get_401(live, place):
    event_id = new_event(live, place)
    photo = upload(live.client("demo-grid"), live, event_id, tiny_png(shade=11)).json()
    assert upload(requests, live, event_id, tiny_png(shade=12)).status_code == 401
    assert requests.get(live.url + photo["url"], timeout=30).status_code == 401


def test_an_unknown_event_or_photo_is_404(live, place):
    assert upload(live.client("demo-grid"), live, 999999999, tiny_png()).status_code == 404
    assert live.client("demo-county").get(live.url + "/api/v1/photos/999999999", timeout=30).status_code == 404


def test_a_browser_session_uploads_a_large_photo_with_its_csrf_token_only(live, place):
    """A phone photo is far over the JSON routes' 64 KiB; the cookie session still needs X-CSRF-Token."""
    from tests.web.browser import csrf_of, form_login

    event_id = new_event(live, place)
    http, _ = form_login(live.url, "demo-grid")
    data = tiny_png(shade=13) + bytes(1024 * 1024)  # a valid header, then a megabyte the server does not decode
    refused = upload(http, live, event_id, data)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    r = upload(http, live, event_id, data, headers={"X-CSRF-Token": csrf_of(http, live.url)})
    assert r.status_code == 201, r.text
    assert r.json()["size"] == len(data)
    assert live.client("demo-grid").get(live.url + r.json()["url"], timeout=30).content == data
