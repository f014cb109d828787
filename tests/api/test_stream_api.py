"""Live updates over real HTTP: a stream hears the committed steps of the events its caller may see."""

import json
import threading

import requests

from tests.support import query


def listen(live, username, *, seconds=8, headers=None):
    """Read a stream in a thread; returns (thread, messages list filled as they arrive)."""
    got: list[dict] = []
    ready = threading.Event()

    def run():
        with live.client(username).get(
            f"{live.url}/api/v1/stream",
            params={"max_seconds": seconds},
            headers=headers or {},
            stream=True,
            timeout=seconds + 10,
        ) as r:
            assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
            message: dict = {}
            for line in r.iter_lines(decode_unicode=True):
                ready.set()
                if line.startswith("id: "):
                    message["id"] = int(line[4:])
                elif line.startswith("event: "):
                    message["event"] = line[7:]
                elif line.startswith("data: "):
                    message["data"] = json.loads(line[6:])
                elif line == "" and "data" in message:
                    got.append(message)
                    message = {}

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10), "the stream did not start"
    return thread, got


def new_event(live):
    ((lon, lat),) = query(
        live,
        "SELECT ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) "
        "FROM users u JOIN grids g ON g.code = u.grid_code WHERE u.username = 'demo-grid'",
    )
    ((category,),) = query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
    r = live.client("demo-county").post(
        live.url + "/api/v1/events",
        json={"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [lon, lat]}},
        timeout=30,
    )
    return r.json()["id"]


def other_township_dispatcher(live):
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.access.accounts import create_user
    from gisapp.services.access.audit import Actor
    from tests.support import TEST_AUDIT_KEY

    ((other,),) = query(
        live,
        "SELECT code FROM townships WHERE code <> (SELECT township_code FROM users "
        "WHERE username = 'demo-township') ORDER BY code LIMIT 1",
    )
    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        create_user(
            session,
            TEST_AUDIT_KEY,
            Actor("t"),
            username="stream-other",
            role="township_dispatcher",
            bound_to=other,
            password="Stream#Other26",
        )
    engine.dispose()
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {live.token('stream-other', 'Stream#Other26')}"
    live._clients["stream-other"] = http


def test_the_grid_and_its_township_hear_each_step_and_others_do_not(live):
    other_township_dispatcher(live)
    streams = {who: listen(live, who, seconds=6) for who in ("demo-grid", "demo-township", "stream-other")}
    event_id = new_event(live)
    live.client("demo-grid").post(
        f"{live.url}/api/v1/events/{event_id}/actions", json={"action": "acknowledge"}, timeout=10
    )
    for thread, _ in streams.values():
        thread.join(15)
    for who in ("demo-grid", "demo-township"):
        mine = [m for m in streams[who][1] if m["data"]["event_id"] == event_id]
        assert [m["event"] for m in mine] == ["created", "acknowledge"], who
        assert mine[1]["data"]["status"] == "acknowledged" and mine[0]["id"] < mine[1]["id"]
    assert not [m for m in streams["stream-other"][1] if m["data"]["event_id"] == event_id]


def test_a_reconnecting_stream_catches_up_from_its_last_event_id(live):
    ((last,),) = query(live, "SELECT COALESCE(max(id), 0) FROM notifications")
    event_id = new_event(live)  # while no stream is open
    thread, got = listen(live, "demo-township", seconds=2, headers={"Last-Event-ID": str(last)})
    thread.join(10)
    assert [m["data"]["event_id"] for m in got if m["data"]["event_id"] == event_id] == [event_id]


def test_the_stream_is_for_business_roles(live):
    assert live.client("demo-auditor").get(f"{live.url}/api/v1/stream", timeout=10).status_code == 403
    assert requests.get(f"{live.url}/api/v1/stream", timeout=10).status_code == 401
