"""The commander dashboard's data over real HTTP on the demo county: queue order and scope, grid load, today's
figures, the search box (ids, codes, names, coordinates in every CRS) and the actions a caller may take."""

import pytest
import requests

from gisapp.services.access.integrations import create_integration
from gisapp.spatial.crs import Crs, from_wgs84
from tests.support import TEST_AUDIT_KEY, query


@pytest.fixture(scope="module")
def world(live):
    """demo-grid's grid and a point in it, its township, a level-1 category, an integration's key."""
    ((grid, lon, lat, township),) = query(
        live,
        """
        SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)), c.township_code
        FROM users u JOIN grids g ON g.code = u.grid_code JOIN communities c ON c.code = g.community_code
        WHERE u.username = 'demo-grid'""",
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
            code="dash-app",
            name="市民APP",
            county_code="320102",
            channels=["public"],
        )
    engine.dispose()
    return {"grid": grid, "point": [lon, lat], "township": township, "category": category, "key": key}


def report(live, world, *, public=False, point=None) -> int:
    body = {
        "category": world["category"],
        "channel": "public" if public else "patrol",
        "description": "测试",
        "location": {"type": "Point", "coordinates": point or world["point"]},
    }
    if public:
        r = requests.post(live.url + "/api/v1/events", json=body, headers={"X-API-Key": world["key"]}, timeout=30)
    else:
        r = live.client("demo-county").post(live.url + "/api/v1/events", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def get(live, who, path, **params):
    r = live.client(who).get(live.url + path, params=params, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_queue_puts_overdue_before_urgent_before_the_rest(live, world):
    plain, late = report(live, world), report(live, world)
    query(live, "UPDATE event_tasks SET supervision = 'overdue' WHERE event_id = %s", late)
    items = get(live, "demo-county", "/api/v1/dashboard/queue")["items"]
    ids = [i["id"] for i in items]
    assert ids.index(late) < ids.index(plain)
    assert next(i for i in items if i["id"] == late)["overdue"] is True
    assert {i["status"] for i in items}.isdisjoint({"closed", "voided"})


def test_a_dispatcher_queue_holds_its_township_only(live, world):
    report(live, world)
    items = get(live, "demo-township", "/api/v1/dashboard/queue")["items"]
    assert items and {i["township_code"] for i in items} == {world["township"]}


def test_grid_load_counts_open_and_overdue_events_per_grid(live, world):
    late = report(live, world)
    query(live, "UPDATE event_tasks SET supervision = 'overdue' WHERE event_id = %s", late)
    ((open_count,),) = query(
        live, "SELECT count(*) FROM events WHERE grid_code = %s AND status NOT IN ('closed', 'voided')", world["grid"]
    )
    lon, lat = world["point"]
    load = get(
        live, "demo-county", "/api/v1/dashboard/grid-load", bbox=f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    )["grids"]
    assert load[world["grid"]][0] == open_count and load[world["grid"]][1] >= 1
    r = live.client("demo-county").get(live.url + "/api/v1/dashboard/grid-load", params={"bbox": "1,2,3"}, timeout=10)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_bbox"


def test_today_counts_a_new_report(live, world):
    before = get(live, "demo-county", "/api/v1/dashboard/today")
    report(live, world)
    after = get(live, "demo-county", "/api/v1/dashboard/today")
    assert after["reported"] == before["reported"] + 1 and after["open"] == before["open"] + 1
    assert after["timezone"] == "Asia/Shanghai"


def test_search_finds_an_event_a_grid_and_a_place_name(live, world):
    event_id = report(live, world)
    assert get(live, "demo-county", "/api/v1/dashboard/search", q=str(event_id))["items"][0] == {
        "kind": "event",
        "code": str(event_id),
        "name": query(live, "SELECT name FROM categories WHERE code = %s", world["category"])[0][0],
        "point": pytest.approx(world["point"]),
    }
    found = get(live, "demo-county", "/api/v1/dashboard/search", q=world["grid"])["items"]
    assert found[0]["kind"] == "grid" and found[0]["code"] == world["grid"]
    ((name,),) = query(live, "SELECT name FROM townships WHERE code = %s", world["township"])
    assert any(
        r["kind"] == "township" and r["code"] == world["township"]
        for r in get(live, "demo-county", "/api/v1/dashboard/search", q=name)["items"]
    )


# each CRS the search box offers: the same point comes back in WGS84
@pytest.mark.parametrize("crs", [Crs.WGS84, Crs.CGCS2000, Crs.GCJ02, Crs.BD09, "EPSG:4549"])
def test_search_converts_coordinates_of_every_crs_to_wgs84(live, world, crs):
    lon, lat = world["point"]
    if crs == "EPSG:4549":  # CGCS2000 3-degree Gauss-Kruger, central meridian 120°E: metres, easting first
        from pyproj import Transformer

        x, y = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True).transform(lon, lat)
    else:
        x, y = from_wgs84(lon, lat, crs)
    (hit,) = [
        r
        for r in get(live, "demo-county", "/api/v1/dashboard/search", q=f"{x:.7f},{y:.7f}", crs=str(crs))["items"]
        if r["kind"] == "point"
    ]
    assert hit["point"] == pytest.approx([lon, lat], abs=1e-6)


def test_search_refuses_an_empty_query_and_an_unknown_crs(live):
    http = live.client("demo-county")
    assert (
        http.get(live.url + "/api/v1/dashboard/search", params={"q": " "}, timeout=10).json()["error"]["code"]
        == "invalid_query"
    )
    r = http.get(live.url + "/api/v1/dashboard/search", params={"q": "118.8,32.0", "crs": "EPSG:3857"}, timeout=10)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_crs"


def test_a_dispatcher_search_does_not_find_other_townships(live, world):
    ((other,),) = query(live, "SELECT code FROM townships WHERE code <> %s ORDER BY code LIMIT 1", world["township"])
    items = get(live, "demo-township", "/api/v1/dashboard/search", q=other)["items"]
    assert all(not r["code"] or not r["code"].startswith(other) for r in items)


def test_the_actions_follow_the_state_and_the_caller(live, world):
    event_id = report(live, world, public=True)
    assert get(live, "demo-county", f"/api/v1/dashboard/events/{event_id}/actions")["items"] == [
        "accept",
        "void",
        "escalate",
    ]
    live.client("demo-county").post(
        f"{live.url}/api/v1/events/{event_id}/actions", json={"action": "accept"}, timeout=30
    )
    assert get(live, "demo-township", f"/api/v1/dashboard/events/{event_id}/actions")["items"] == [
        "dispatch",
        "park",
        "escalate",
    ]
    r = live.client("demo-county").get(f"{live.url}/api/v1/dashboard/events/999999999/actions", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "event_not_found"


def test_a_position_report_reaches_the_streams_of_its_county_and_township_only(live, world):
    from tests.api.test_stream_api import listen, other_township_dispatcher

    other_township_dispatcher(live)
    listeners = {who: listen(live, who, seconds=6) for who in ("demo-county", "demo-township", "stream-other")}
    lon, lat = world["point"]
    r = live.client("demo-grid").post(
        live.url + "/api/v1/members/me/status",
        timeout=30,
        json={"duty_status": "on_duty", "position": {"type": "Point", "coordinates": [lon, lat]}},
    )
    assert r.status_code == 200, r.text
    for thread, _ in listeners.values():
        thread.join(15)
    heard = {who: [m for m in got if m.get("event") == "position"] for who, (_, got) in listeners.items()}
    for who in ("demo-county", "demo-township"):
        (message,) = heard[who]
        assert "id" not in message  # nothing to resume from: only the latest position matters
        assert message["data"]["member"] == r.json()["member"]["code"]
        assert [message["data"]["lon"], message["data"]["lat"]] == pytest.approx([lon, lat])
    assert heard["stream-other"] == []
