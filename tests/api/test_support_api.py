"""Support from adjacent grids over real HTTP on the demo county: the ranking, who may see it, and the
request -> candidates -> confirmation path that makes a support task."""

from __future__ import annotations

import pytest
import requests

from tests.support import TEST_AUDIT_KEY, query

OTHER_PASSWORD = "Other#Town2026"


@pytest.fixture(scope="module")
def world(live):
    """demo-grid's grid and a point in it, its ring-1 and ring-2 grids, a level-1 category;
    every member off duty (tests put the ones they need on duty)."""
    query(live, "SELECT refresh_grid_adjacency()")  # the graph the tests pick grids from (the API would do it too)
    ((grid, lon, lat, township),) = query(
        live,
        """
        SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)), c.township_code
        FROM users u JOIN grids g ON g.code = u.grid_code JOIN communities c ON c.code = g.community_code
        WHERE u.username = 'demo-grid'""",
    )
    ring1 = [
        r[0]
        for r in query(
            live, "SELECT neighbour_code FROM grid_adjacency WHERE grid_code = %s ORDER BY neighbour_code", grid
        )
    ]
    ring2 = [
        r[0]
        for r in query(
            live,
            "SELECT DISTINCT neighbour_code FROM grid_adjacency WHERE grid_code = ANY(%s) "
            "AND neighbour_code <> ALL(%s) AND neighbour_code <> %s ORDER BY 1",
            ring1,
            ring1,
            grid,
        )
    ]
    ((category,),) = query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
    query(live, "UPDATE members SET duty_status = 'off_duty'")
    assert len(ring1) >= 2 and ring2
    return {
        "grid": grid,
        "point": [lon, lat],
        "township": township,
        "ring1": ring1,
        "ring2": ring2,
        "category": category,
    }


def report(live, world, who="demo-county", point=None) -> int:
    body = {
        "category": world["category"],
        "channel": "patrol",
        "description": "需要支援",
        "location": {"type": "Point", "coordinates": point or world["point"]},
    }
    r = live.client(who).post(live.url + "/api/v1/events", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def on_duty(live, grid: str, lon: float, lat: float, age_s: int = 60) -> str:
    """Put the first member of the grid's team on duty at (lon, lat), seen age_s ago; their code."""
    ((code,),) = query(live, "SELECT code FROM members WHERE team_code = 'T' || %s ORDER BY code LIMIT 1", grid)
    query(
        live,
        "UPDATE members SET duty_status = 'on_duty', position = ST_SetSRID(ST_MakePoint(%s, %s), 4326), "
        "position_at = now() - make_interval(secs => %s) WHERE code = %s",
        lon,
        lat,
        age_s,
        code,
    )
    return code


def candidates(live, who: str, event_id: int, **params) -> requests.Response:
    return live.client(who).get(f"{live.url}/api/v1/events/{event_id}/support-candidates", params=params, timeout=30)


def act(live, who: str, event_id: int, action: str, **body) -> dict:
    r = live.client(who).post(
        f"{live.url}/api/v1/events/{event_id}/actions", json={"action": action, **body}, timeout=30
    )
    assert r.status_code == 200, (action, who, r.text)
    return r.json()


@pytest.fixture(scope="module")
def staffed(live, world):
    """Two ring-1 members at 150 m and 60 m east of the event point, a ring-2 member 30 m west, and a
    ring-1 member whose position is 20 minutes old; the expected order."""
    lon, lat = world["point"]
    far1 = on_duty(live, world["ring1"][0], lon + 0.0016, lat)
    near1 = on_duty(live, world["ring1"][1], lon + 0.00064, lat)
    ring2 = on_duty(live, world["ring2"][0], lon - 0.00032, lat)
    if len(world["ring1"]) > 2:
        on_duty(live, world["ring1"][2], lon, lat, age_s=1200)  # stale: left out
    return [near1, far1, ring2]


def test_the_county_commander_gets_the_ranked_candidates(live, world, staffed):
    event_id = report(live, world)
    r = candidates(live, "demo-county", event_id)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["member"]["code"] for i in items] == staffed
    assert [i["ring"] for i in items] == [1, 1, 2]
    assert items[0]["distance_m"] < items[1]["distance_m"] and 50 < items[0]["distance_m"] < 70
    first = items[0]
    assert set(first) == {"member", "grid", "ring", "distance_m", "position_age_s"}
    assert set(first["member"]) == {"code", "name", "role", "team_code", "duty_status"}
    assert first["grid"]["code"] == world["ring1"][1] and first["grid"]["name"]
    assert 55 <= first["position_age_s"] <= 600
    # the sub-center of the event's township and the receiving team's grid officer see the same list
    for who in ("demo-township", "demo-grid"):
        again = candidates(live, who, event_id)
        assert again.status_code == 200 and [i["member"]["code"] for i in again.json()["items"]] == staffed
    assert [i["member"]["code"] for i in candidates(live, "demo-county", event_id, limit=1).json()["items"]] == staffed[
        :1
    ]


def test_parameters_are_checked(live, world):
    event_id = report(live, world)
    for params, code in (
        ({"max_age_s": "abc"}, "invalid_max_age_s"),
        ({"max_age_s": "0"}, "invalid_max_age_s"),
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "2.5"}, "invalid_limit"),
    ):
        r = candidates(live, "demo-county", event_id, **params)
        assert (r.status_code, r.json()["error"]["code"]) == (422, code), params


def test_outside_the_callers_area_the_event_does_not_exist(live, world):
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
            username="sup-other",
            role="township_dispatcher",
            bound_to=other,
            password=OTHER_PASSWORD,
        )
    engine.dispose()
    event_id = report(live, world)
    token = live.token("sup-other", OTHER_PASSWORD)
    r = requests.get(
        f"{live.url}/api/v1/events/{event_id}/support-candidates",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert (r.status_code, r.json()["error"]["code"]) == (404, "event_not_found")
    r = candidates(live, "demo-county", 987654321)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "event_not_found")


def test_a_planner_is_refused(live, world):
    event_id = report(live, world)
    r = candidates(live, "demo-planner", event_id)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")


def test_seeing_an_event_is_not_enough_to_see_its_candidates(live, world):
    # demo-grid reports an event in a ring-2 grid: it sees the event (it reported it) but neither
    # centers it nor receives it
    ((lon, lat),) = query(
        live,
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids WHERE code = %s) x",
        world["ring2"][0],
    )
    event_id = report(live, world, who="demo-grid", point=[lon, lat])
    assert live.client("demo-grid").get(f"{live.url}/api/v1/events/{event_id}", timeout=10).status_code == 200
    r = candidates(live, "demo-grid", event_id)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_your_step")


def test_support_requested_proposed_and_confirmed_becomes_a_task(live, world, staffed):
    event_id = report(live, world)
    act(live, "demo-grid", event_id, "acknowledge")
    act(live, "demo-grid", event_id, "request_support", members=1, note="人手不够")
    proposed = candidates(live, "demo-county", event_id).json()["items"]
    chosen = proposed[0]["member"]
    done = act(live, "demo-county", event_id, "confirm_support", members=[chosen["code"]])
    (support,) = [t for t in done["tasks"] if t["kind"] == "support"]
    assert support["member"]["code"] == chosen["code"] and support["status"] == "dispatched"
    assert support["receiver"] == {"kind": "team", "code": chosen["team_code"], "name": support["receiver"]["name"]}
    shown = live.client("demo-county").get(f"{live.url}/api/v1/events/{event_id}", timeout=10).json()
    assert [t["member"]["code"] for t in shown["tasks"] if t["kind"] == "support"] == [chosen["code"]]
    # a member on an open support task is not proposed again
    after = [i["member"]["code"] for i in candidates(live, "demo-county", event_id).json()["items"]]
    assert chosen["code"] not in after and after == [c for c in staffed if c != chosen["code"]]
