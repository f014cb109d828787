"""Feedback and closure (clause 6.3) over real HTTP: tracking token, public view, rating, review, repeats."""

import pytest
import requests

from tests.support import query

CLOSE_STEPS = (
    ("demo-grid", "acknowledge"),
    ("demo-grid", "arrive"),
    ("demo-grid", "handle"),
    ("demo-township", "verify"),
)


@pytest.fixture(scope="module")
def place(live):
    ((grid, lon, lat),) = query(
        live,
        """
        SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
        FROM users u JOIN grids g ON g.code = u.grid_code WHERE u.username = 'demo-grid'""",
    )
    cats = [c for (c,) in query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 2")]
    return {"point": [lon, lat], "cats": cats}


def report(live, place, *, category=None, point=None, reporter=None):
    body = {
        "category": category or place["cats"][0],
        "channel": "patrol",
        "description": "占道经营",
        "location": {"type": "Point", "coordinates": point or place["point"]},
    }
    if reporter:
        body["reporter"] = reporter
    r = live.client("demo-county").post(live.url + "/api/v1/events", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()


def close(live, event_id, reply="已清理占道摊点，感谢您的反映。"):
    for who, action in CLOSE_STEPS:
        r = live.client(who).post(f"{live.url}/api/v1/events/{event_id}/actions", json={"action": action}, timeout=30)
        assert r.status_code == 200, r.text
    r = live.client("demo-township").post(
        f"{live.url}/api/v1/events/{event_id}/actions", json={"action": "close", "note": reply}, timeout=30
    )
    assert r.status_code == 200, r.text


def track(live, token, **kw):
    return requests.get(f"{live.url}/api/v1/track/{token}", timeout=10, **kw)


def rate(live, token, rating, comment=None):
    return requests.post(
        f"{live.url}/api/v1/track/{token}/rating", json={"rating": rating, "comment": comment}, timeout=10
    )


def test_the_reporter_follows_the_report_anonymously_without_personal_data(live, place):
    event = report(live, place, reporter={"name": "赵六", "phone": "13700001111"})
    token = event["tracking_token"]
    view = track(live, token)
    assert view.status_code == 200
    body = view.json()
    assert body["id"] == event["id"] and body["status"] == "dispatched" and body["status_zh"] == "已派遣"
    assert [m["step"] for m in body["milestones"]] == ["created"] and body["can_rate"] is False
    assert "13700001111" not in view.text and "赵六" not in view.text
    forged = f"{event['id'] + 1}.{token.split('.')[1]}"
    assert (
        track(live, forged).status_code == 404
        and track(live, "nonsense").json()["error"]["code"] == "unknown_tracking_token"
    )
    assert rate(live, token, "satisfied").json()["error"]["code"] == "not_closed"


def test_after_closure_the_reply_is_shown_and_rated_once(live, place):
    event = report(live, place)
    close(live, event["id"])
    view = track(live, event["tracking_token"]).json()
    assert view["status"] == "closed" and view["reply"] == "已清理占道摊点，感谢您的反映。" and view["can_rate"]
    assert [m["step"] for m in view["milestones"]] == ["created", "arrive", "handle", "close"]
    assert rate(live, event["tracking_token"], "great").json()["error"]["code"] == "invalid_rating"
    rated = rate(live, event["tracking_token"], "satisfied")
    assert rated.status_code == 200 and rated.json()["rating"] == "satisfied" and not rated.json()["can_rate"]
    assert rate(live, event["tracking_token"], "dissatisfied").json()["error"]["code"] == "already_rated"


def test_a_dissatisfied_rating_opens_a_review(live, place):
    event = report(live, place)
    close(live, event["id"])
    assert rate(live, event["tracking_token"], "dissatisfied", "摊贩第二天又回来了").status_code == 200
    detail = live.client("demo-township").get(f"{live.url}/api/v1/events/{event['id']}", timeout=10).json()
    assert detail["rating"] == "dissatisfied" and detail["review_open"] is True
    assert detail["timeline"][-1]["action"] == "review_opened" and detail["timeline"][-1]["actor"] == "reporter"
    assert query(
        live, "SELECT count(*) FROM audit_log WHERE action = 'event.rate' AND target = %s", f"event:{event['id']}"
    ) == [(1,)]


def test_a_new_report_near_a_recently_closed_one_is_a_repeat(live, place):
    first = report(live, place)
    close(live, first["id"])
    lon, lat = place["point"]
    again = report(live, place, point=[lon + 0.0003, lat])  # about 30 m away
    assert again["repeat_of"] == first["id"]
    detail = live.client("demo-county").get(f"{live.url}/api/v1/events/{first['id']}", timeout=10).json()
    assert detail["repeat_count"] == 1
    other_kind = report(live, place, category=place["cats"][1], point=[lon + 0.0003, lat])
    assert other_kind["repeat_of"] is None
    far = report(live, place, point=[lon + 0.003, lat])  # about 300 m away
    assert far["repeat_of"] is None
