"""Duplicates (clause 6.3) over real HTTP on the demo county: proposals from several channels, the merge by
the township center, its refusals and retries, and the merged report's reporter following the main event."""

import pytest
import requests

from gisapp.services.access.integrations import create_integration
from tests.support import TEST_AUDIT_KEY, query

METRE_LON = 1 / 96_000  # about a metre of longitude near 32° N
CLOSE_STEPS = (
    ("demo-grid", "acknowledge"),
    ("demo-grid", "arrive"),
    ("demo-grid", "handle"),
    ("demo-township", "verify"),
    ("demo-township", "close"),
)


@pytest.fixture(scope="module")
def world(live):
    """A point in demo-grid's grid (level-1 events there are demo-township's), a category, the citizen app's key."""
    ((lon, lat),) = query(
        live,
        """
        SELECT ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
        FROM users u JOIN grids g ON g.code = u.grid_code WHERE u.username = 'demo-grid'""",
    )
    ((category,),) = query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.access.audit import Actor

    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        _, key = create_integration(
            session,
            TEST_AUDIT_KEY,
            Actor("t"),
            code="citizen-app-dup",
            name="市民APP",
            county_code="320102",
            channels=["public", "hotline"],
        )
    engine.dispose()
    return {"point": [lon, lat], "category": category, "key": key}


def report(live, world, *, channel="patrol", east_m=0.0, reporter=None) -> dict:
    """A report east_m metres east of the point: staff (patrol) reports are dispatched, the app's await 受理."""
    lon, lat = world["point"]
    body = {
        "category": world["category"],
        "channel": channel,
        "description": "占道经营",
        "location": {"type": "Point", "coordinates": [lon + east_m * METRE_LON, lat]},
    }
    if reporter:
        body["reporter"] = reporter
    if channel == "patrol":
        r = live.client("demo-county").post(live.url + "/api/v1/events", json=body, timeout=30)
    else:
        r = requests.post(live.url + "/api/v1/events", json=body, headers={"X-API-Key": world["key"]}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()


def proposals(live, event_id, who="demo-township", **params):
    return live.client(who).get(f"{live.url}/api/v1/events/{event_id}/duplicates", params=params, timeout=30)


def merge(live, duplicate_id, into_id, who="demo-township", note="同一处占道经营"):
    return live.client(who).post(
        f"{live.url}/api/v1/events/{duplicate_id}/merge", json={"into": into_id, "note": note}, timeout=30
    )


def act(live, who, event_id, action, **body):
    r = live.client(who).post(
        f"{live.url}/api/v1/events/{event_id}/actions", json={"action": action, **body}, timeout=30
    )
    assert r.status_code == 200, (action, who, r.text)
    return r.json()


def track(live, token):
    r = requests.get(f"{live.url}/api/v1/track/{token}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_public_app_and_a_hotline_report_of_the_same_spot_are_proposed(live, world):
    main = report(live, world)
    public = report(live, world, channel="public", east_m=25)
    hotline = report(live, world, channel="hotline", east_m=-40)
    far = report(live, world, channel="hotline", east_m=800)
    old = report(live, world, channel="public", east_m=10)
    query(live, "UPDATE events SET created_at = created_at - interval '3 hours' WHERE id = %s", old["id"])
    r = proposals(live, main["id"])
    assert r.status_code == 200, r.text
    by_id = {i["id"]: i for i in r.json()["items"]}
    assert {public["id"], hotline["id"]} <= set(by_id) and not {far["id"], old["id"], main["id"]} & set(by_id)
    assert by_id[public["id"]]["channel"] == "public" and by_id[public["id"]]["same_category"] is True
    assert 20 < by_id[public["id"]]["distance_m"] < 30 and by_id[hotline["id"]]["minutes_apart"] < 60
    assert by_id[public["id"]]["category"]["code"] == world["category"]
    assert proposals(live, main["id"], who="demo-dept").status_code == 404  # not its department's event


@pytest.mark.parametrize(
    "params, code",
    [
        # not a number
        ({"minutes": "soon"}, "invalid_minutes"),
        # a window must have a length
        ({"minutes": "0"}, "invalid_minutes"),
        ({"radius_m": "-5"}, "invalid_radius_m"),
    ],
)
def test_proposal_parameters_are_validated(live, world, params, code):
    main = report(live, world)
    r = proposals(live, main["id"], **params)
    assert (r.status_code, r.json()["error"]["code"]) == (422, code)


def test_the_township_center_merges_and_the_reporter_follows_the_main_event_to_closure(live, world):
    main = report(live, world)
    dup = report(live, world, channel="public", east_m=20, reporter={"name": "张三", "phone": "13900002222"})
    r = merge(live, dup["id"], main["id"])
    assert r.status_code == 200, r.text
    assert r.json() == {"id": dup["id"], "merged_into": main["id"], "status": "voided"}
    assert query(live, "SELECT status, merged_into, reporter_phone, channel FROM events WHERE id = %s", dup["id"]) == [
        ("voided", main["id"], "13900002222", "public")
    ]
    detail = live.client("demo-township").get(f"{live.url}/api/v1/events/{main['id']}", timeout=10).json()
    assert detail["timeline"][-1]["action"] == "merged_from" and detail["timeline"][-1]["details"] == {
        "from": dup["id"]
    }
    assert query(
        live,
        "SELECT actor, details->>'into' FROM audit_log WHERE action = 'event.merge' AND target = %s",
        f"event:{dup['id']}",
    ) == [("demo-township", str(main["id"]))]
    view = track(live, dup["tracking_token"])
    assert (view["id"], view["merged_into"], view["status"]) == (dup["id"], main["id"], "dispatched")
    for who, action in CLOSE_STEPS:
        act(live, who, main["id"], action, **({"note": "摊点已清理，感谢反映"} if action == "close" else {}))
    view = track(live, dup["tracking_token"])
    assert view["status"] == "closed" and view["reply"] == "摊点已清理，感谢反映" and view["can_rate"] is True
    assert [m["step"] for m in view["milestones"]] == ["created", "arrive", "handle", "close"]
    assert "13900002222" not in str(view)


def test_a_retried_merge_answers_the_same_without_new_rows(live, world):
    main = report(live, world)
    dup = report(live, world, channel="hotline", east_m=15)
    first = merge(live, dup["id"], main["id"])
    rows = "SELECT (SELECT count(*) FROM event_log) + (SELECT count(*) FROM audit_log WHERE action = 'event.merge')"
    before = query(live, rows)
    again = merge(live, dup["id"], main["id"])
    assert again.status_code == 200 and again.json() == first.json() and again.headers.get("X-Replayed") == "true"
    assert query(live, rows) == before


def test_merge_refusals(live, world):
    main = report(live, world)
    dup = report(live, world, channel="hotline", east_m=15)
    refused = merge(live, dup["id"], main["id"], who="demo-grid")  # receives the event, is not its center
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_your_step")
    itself = merge(live, dup["id"], dup["id"])
    assert (itself.status_code, itself.json()["error"]["code"]) == (422, "merge_into_itself")
    closed = report(live, world, east_m=30)
    for who, action in CLOSE_STEPS:
        act(live, who, closed["id"], action)
    into_closed = merge(live, dup["id"], closed["id"])
    assert (into_closed.status_code, into_closed.json()["error"]["code"]) == (409, "transition_not_allowed")
    assert merge(live, dup["id"], 10**12).json()["error"]["code"] == "event_not_found"
    assert query(live, "SELECT status, merged_into FROM events WHERE id = %s", dup["id"]) == [("reported", None)]


def test_merge_takes_a_json_body_with_the_target(live, world):
    main = report(live, world)
    url = f"{live.url}/api/v1/events/{main['id']}/merge"
    http = live.client("demo-township")
    assert http.post(url, data="into=1", headers={"Content-Type": "text/plain"}, timeout=10).status_code == 415
    missing = http.post(url, json={"note": "x"}, timeout=10)
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "invalid_into")
    extra = http.post(url, json={"into": main["id"] + 1, "force": True}, timeout=10)
    assert (extra.status_code, extra.json()["error"]["code"]) == (422, "unknown_field")
