"""The life cycle over real HTTP on the demo county: the paths of the standard's flowchart (Appendix A)."""

import pytest
import requests

from gisapp.services.access.integrations import create_integration
from tests.support import TEST_AUDIT_KEY, query


@pytest.fixture(scope="module")
def world(live):
    """The demo grid officer's grid, a point in it, categories of both levels, an integration's key."""
    ((grid, lon, lat, township),) = query(
        live,
        """
        SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)), c.township_code
        FROM users u JOIN grids g ON g.code = u.grid_code JOIN communities c ON c.code = g.community_code
        WHERE u.username = 'demo-grid'""",
    )
    ((level1,),) = query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
    query(
        live,
        "INSERT INTO categories (code, name, name_en, kind_code, department_code, priority, "
        "response_minutes, handling_minutes, level) VALUES ('urban.lifecycle_l2', '测试二级', 'L2 test', "
        "'urban', 'urban_management', 'high', 30, 240, 2)",
    )
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.access.audit import Actor

    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        _, key = create_integration(
            session,
            TEST_AUDIT_KEY,
            Actor("t"),
            code="citizen-app",
            name="市民APP",
            county_code="320102",
            channels=["public", "hotline"],
        )
    engine.dispose()
    return {
        "grid": grid,
        "point": [lon, lat],
        "township": township,
        "l1": level1,
        "l2": "urban.lifecycle_l2",
        "key": key,
    }


def report(live, world, *, category=None, who="demo-county", channel="patrol"):
    body = {
        "category": category or world["l1"],
        "channel": channel,
        "description": "路灯不亮",
        "location": {"type": "Point", "coordinates": world["point"]},
    }
    if who == "integration":
        r = requests.post(live.url + "/api/v1/events", json=body, headers={"X-API-Key": world["key"]}, timeout=30)
    else:
        r = live.client(who).post(live.url + "/api/v1/events", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def act(live, who, event_id, action, expect=200, **body):
    r = live.client(who).post(
        f"{live.url}/api/v1/events/{event_id}/actions", json={"action": action, **body}, timeout=30
    )
    assert r.status_code == expect, (action, who, r.text)
    return r.json()


def test_a_citizen_report_from_acceptance_to_closure(live, world):
    event_id = report(live, world, who="integration", channel="public")
    seen = requests.get(f"{live.url}/api/v1/events/{event_id}", headers={"X-API-Key": world["key"]}, timeout=10)
    assert seen.json()["status"] == "reported" and seen.json()["tasks"] == []
    act(live, "demo-township", event_id, "accept", note="属实，立案")
    done = act(live, "demo-township", event_id, "dispatch")
    (task,) = done["tasks"]
    assert done["status"] == "dispatched" and task["receiver"]["kind"] == "team" and task["status"] == "dispatched"
    assert task["deadlines"]["respond_by"] < task["deadlines"]["handle_by"]
    act(live, "demo-grid", event_id, "acknowledge")
    act(live, "demo-grid", event_id, "arrive", position={"type": "Point", "coordinates": world["point"]})
    act(live, "demo-grid", event_id, "handle", note="已更换灯泡", photos=["photo:2026/11/28/abc.jpg"])
    act(live, "demo-township", event_id, "verify")
    closed = act(live, "demo-township", event_id, "close")
    assert closed["status"] == "closed"
    assert [s["action"] for s in closed["timeline"]] == [
        "created",
        "accept",
        "dispatch",
        "acknowledge",
        "arrive",
        "handle",
        "verify",
        "close",
    ]
    handle = closed["timeline"][5]
    assert handle["actor"] == "demo-grid" and handle["details"]["photos"] == ["photo:2026/11/28/abc.jpg"]
    times = closed["tasks"][0]["times"]
    assert times["acknowledged"] and times["arrived"] and times["handled"]
    audited = query(live, "SELECT action FROM audit_log WHERE target = %s ORDER BY id", f"event:{event_id}")
    assert [a for (a,) in audited] == [
        "event.create",
        "event.accept",
        "event.dispatch",
        "event.acknowledge",
        "event.arrive",
        "event.handle",
        "event.verify",
        "event.close",
    ]


def test_a_report_that_is_not_a_case_is_voided(live, world):
    event_id = report(live, world, who="integration", channel="hotline")
    assert act(live, "demo-township", event_id, "void", note="重复来电")["status"] == "voided"
    act(live, "demo-township", event_id, "accept", expect=409)


def test_escalation_to_the_county_and_dispatch_to_departments(live, world):
    event_id = report(live, world)  # staff report: dispatched at once to the grid's team
    act(live, "demo-grid", event_id, "acknowledge")
    escalated = act(live, "demo-township", event_id, "escalate", note="超出街道处置能力")
    assert escalated["level"] == 2 and escalated["status"] == "accepted"
    assert escalated["center"]["code"] == "320102-C" and escalated["tasks"][0]["status"] == "cancelled"
    act(live, "demo-township", event_id, "dispatch", expect=403)  # level 2 is the county center's
    dispatched = act(live, "demo-county", event_id, "dispatch", departments=["urban_management", "public_security"])
    assert {t["receiver"]["code"] for t in dispatched["tasks"] if t["status"] == "dispatched"} == {
        "urban_management",
        "public_security",
    }
    act(live, "demo-dept", event_id, "acknowledge")
    act(live, "demo-dept", event_id, "handle")
    assert act(live, "demo-county", event_id, "verify", expect=409)["error"]["code"] == "transition_not_allowed"


def test_a_mis_dispatched_task_is_returned_and_redispatched(live, world):
    event_id = report(live, world, category=world["l2"])  # level 2: the category's department
    returned = act(live, "demo-dept", event_id, "return", note="不属于城管职责")
    assert returned["status"] == "accepted" and returned["tasks"][0]["status"] == "returned"
    again = act(live, "demo-county", event_id, "dispatch", departments=["housing_construction"])
    assert again["status"] == "dispatched" and again["tasks"][1]["receiver"]["code"] == "housing_construction"


def test_extension_moves_the_handling_deadline_when_approved(live, world):
    event_id = report(live, world)
    act(live, "demo-grid", event_id, "acknowledge")
    asked = act(live, "demo-grid", event_id, "request_extension", until="2099-01-01T18:00:00+08:00", note="需等待配件")
    assert asked["tasks"][0]["extension"] == {"pending": True, "until": "2099-01-01T10:00:00Z", "approved_at": None}
    act(live, "demo-grid", event_id, "request_extension", until="2099-01-02T18:00:00+08:00", expect=409)
    approved = act(live, "demo-township", event_id, "approve_extension")
    assert approved["tasks"][0]["deadlines"]["handle_by"] == "2099-01-01T10:00:00Z"
    assert approved["tasks"][0]["extension"]["pending"] is False
    assert approved["tasks"][0]["extension"]["approved_at"] is not None


def test_an_extension_not_after_the_deadline_is_refused_with_a_reason(live, world):
    event_id = report(live, world)
    act(live, "demo-grid", event_id, "acknowledge")
    detail = live.client("demo-grid").get(f"{live.url}/api/v1/events/{event_id}", timeout=10).json()
    handle_by = detail["tasks"][0]["deadlines"]["handle_by"]
    answer = live.client("demo-grid").post(
        f"{live.url}/api/v1/events/{event_id}/actions",
        timeout=10,
        json={"action": "request_extension", "until": handle_by},
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_until" and "handling deadline is already" in error["message"]


def test_parking_and_restoring_a_long_term_case(live, world):
    event_id = report(live, world)
    act(live, "demo-grid", event_id, "acknowledge")
    assert act(live, "demo-township", event_id, "park", note="需协调产权单位")["status"] == "parked"
    act(live, "demo-grid", event_id, "arrive", expect=409)
    assert act(live, "demo-township", event_id, "restore")["status"] == "acknowledged"


def test_failed_verification_sends_the_work_back_with_fresh_deadlines(live, world):
    event_id = report(live, world)
    for action in ("acknowledge", "arrive", "handle"):
        act(live, "demo-grid", event_id, action)
    first = act(live, "demo-township", event_id, "verify", expect=200)["tasks"][0]
    back = act(live, "demo-township", event_id, "send_back", note="现场仍有积水")
    task = back["tasks"][0]
    assert back["status"] == "dispatched" and back["rework"] == 1
    assert task["status"] == "dispatched" and task["times"]["handled"] is None
    assert task["deadlines"]["handle_by"] >= first["deadlines"]["handle_by"]


def test_refusals_change_nothing(live, world):
    event_id = report(live, world)
    before = query(live, "SELECT count(*) FROM event_log WHERE event_id = %s", event_id)
    act(live, "demo-grid", event_id, "handle", expect=409)  # not acknowledged yet
    act(live, "demo-grid", event_id, "verify", expect=403)  # the center's step
    act(live, "demo-planner", event_id, "acknowledge", expect=403)  # the planner has no events at all
    r = live.client("demo-grid").post(
        f"{live.url}/api/v1/events/{event_id}/actions", json={"action": "fly"}, timeout=10
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_action"
    assert query(live, "SELECT count(*) FROM event_log WHERE event_id = %s", event_id) == before
    assert query(live, "SELECT status FROM events WHERE id = %s", event_id) == [("dispatched",)]


def test_outside_the_area_the_event_does_not_exist(live, world):
    ((other,),) = query(live, "SELECT code FROM townships WHERE code <> %s ORDER BY code LIMIT 1", world["township"])
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.access.accounts import create_user
    from gisapp.services.access.audit import Actor

    engine = make_engine(live.database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        create_user(
            session,
            TEST_AUDIT_KEY,
            Actor("t"),
            username="lc-other",
            role="township_dispatcher",
            bound_to=other,
            password="Other#Town2026",
        )
    engine.dispose()
    event_id = report(live, world)
    token = live.token("lc-other", "Other#Town2026")
    r = requests.post(
        f"{live.url}/api/v1/events/{event_id}/actions",
        json={"action": "park"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "event_not_found"


def test_a_retried_action_is_done_once(live, world):
    event_id = report(live, world)
    first = live.client("demo-grid").post(
        f"{live.url}/api/v1/events/{event_id}/actions",
        json={"action": "acknowledge", "client_ref": "ack-1"},
        timeout=10,
    )
    again = live.client("demo-grid").post(
        f"{live.url}/api/v1/events/{event_id}/actions",
        json={"action": "acknowledge", "client_ref": "ack-1"},
        timeout=10,
    )
    assert first.status_code == again.status_code == 200 and again.headers.get("X-Replayed") == "true"
    assert query(live, "SELECT count(*) FROM event_log WHERE event_id = %s AND action = 'acknowledge'", event_id) == [
        (1,)
    ]


def test_supervision_records_reach_the_responsible_center(live, world):
    from datetime import datetime, timedelta, timezone

    from gisapp.db import make_engine, make_session_factory
    from gisapp.services.events.supervision import run_pass

    event_id = report(live, world)
    engine = make_engine(live.database_url, pool_size=1)
    with make_session_factory(engine)() as session:
        run_pass(session, TEST_AUDIT_KEY, now=datetime.now(timezone.utc) + timedelta(days=30))
    engine.dispose()
    seen = (
        live.client("demo-township")
        .get(live.url + "/api/v1/supervisions", params={"state": "overdue"}, timeout=10)
        .json()
    )
    mine = [s for s in seen["items"] if s["event_id"] == event_id]
    assert mine and mine[0]["state"] == "overdue" and mine[0]["time_limit"] == "handling"
    assert live.client("demo-county").get(live.url + "/api/v1/supervisions", timeout=10).json()["total"] >= 1
    detail = live.client("demo-township").get(f"{live.url}/api/v1/events/{event_id}", timeout=10).json()
    assert detail["tasks"][0]["supervision"] == "overdue" and detail["timeline"][-1]["action"] == "supervise"
    bad = live.client("demo-township").get(live.url + "/api/v1/supervisions", params={"state": "late"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_state"
    assert live.client("demo-grid").get(live.url + "/api/v1/supervisions", timeout=10).status_code == 403


def test_an_emergency_goes_to_the_county_center_at_once(live, world):
    body = {
        "category": world["l1"],
        "channel": "patrol",
        "priority": "urgent",
        "location": {"type": "Point", "coordinates": world["point"]},
    }
    made = live.client("demo-grid").post(live.url + "/api/v1/events", json=body, timeout=30).json()
    assert made["level"] == 2 and made["priority"] == "urgent" and made["center"]["code"] == "320102-C"
    assert made["assigned_to"]["kind"] == "department"
    bad = live.client("demo-grid").post(live.url + "/api/v1/events", json={**body, "priority": "asap"}, timeout=30)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown_priority"
    outside = requests.post(
        live.url + "/api/v1/events", json={**body, "channel": "public"}, headers={"X-API-Key": world["key"]}, timeout=30
    )
    assert outside.status_code == 403 and outside.json()["error"]["code"] == "priority_not_allowed"


def test_a_staff_reporter_sends_a_cross_township_matter_to_the_county(live, world):
    body = {
        "category": world["l1"],
        "channel": "hotline",
        "level2_reason": "multi_township",
        "location": {"type": "Point", "coordinates": world["point"]},
    }
    made = live.client("demo-township").post(live.url + "/api/v1/events", json=body, timeout=30).json()
    assert made["level"] == 2 and made["center"]["code"] == "320102-C"
    detail = live.client("demo-county").get(f"{live.url}/api/v1/events/{made['id']}", timeout=10).json()
    assert detail["timeline"][0]["note"].endswith("(multi_township)")
    bad = live.client("demo-township").post(
        live.url + "/api/v1/events", json={**body, "level2_reason": "bored"}, timeout=30
    )
    assert bad.json()["error"]["code"] == "unknown_level2_reason"
