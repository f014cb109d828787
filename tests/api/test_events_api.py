"""Event intake and reading over real HTTP against the real PostGIS."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest

from gisapp.api.schemas import EventOut
from gisapp.spatial.crs import Crs, from_wgs84
from tests.support import distance_m, query

URL = "/api/v1/events"


@pytest.fixture(scope="module")
def cats(live):
    rows = query(
        live, "SELECT code, level, response_minutes, handling_minutes, department_code FROM categories ORDER BY code"
    )
    level1 = next(r for r in rows if r[1] == 1)
    level2 = next(r for r in rows if r[1] == 2)
    return {"l1": level1, "l2": level2}


@pytest.fixture(scope="module")
def inner(live):
    """A point well inside a grid, with that grid's codes and team."""
    (row,) = query(
        live,
        """
        SELECT ST_X(p), ST_Y(p), g.code, g.community_code, c.township_code, tm.code, tm.name
        FROM (SELECT code, community_code, ST_PointOnSurface(geom) AS p FROM grids
              ORDER BY code LIMIT 1 OFFSET 17) g
        JOIN communities c ON c.code = g.community_code JOIN teams tm ON tm.grid_code = g.code""",
    )
    return dict(zip(("lon", "lat", "grid", "community", "township", "team", "team_name"), row))


def body(cats, inner, **extra):
    b = {
        "category": cats["l1"][0],
        "description": "井盖缺失",
        "location": {"type": "Point", "coordinates": [inner["lon"], inner["lat"]]},
        "channel": "patrol",
    }
    b.update(extra)
    return b


def post(live, payload, **kw):
    return live.client().post(live.url + URL, json=payload, timeout=30, **kw)


def count_events(live):
    return query(live, "SELECT count(*) FROM events")[0][0]


def test_level_one_event_is_geocoded_and_routed_to_the_grid_team(live, cats, inner):
    r = post(live, body(cats, inner, reporter={"name": "李四", "phone": "13800001234"}))
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["status"] == "dispatched" and ev["level"] == 1
    assert ev["grid"]["code"] == inner["grid"] and ev["grid"]["name"]
    assert ev["community"]["code"] == inner["community"]
    assert ev["township"]["code"] == inner["township"]
    assert ev["county"] == {"code": "320102", "name": "玄武区"}
    assert ev["assigned_to"] == {"kind": "team", "id": inner["team"], "name": inner["team_name"]}
    assert ev["center"]["code"] == f"{inner['township']}-C"
    assert ev["category"]["code"] == cats["l1"][0]
    assert r.headers["Location"] == f"{URL}/{ev['id']}"
    created = datetime.fromisoformat(ev["created_at"].replace("Z", "+00:00"))
    respond_by = datetime.fromisoformat(ev["deadlines"]["respond_by"].replace("Z", "+00:00"))
    handle_by = datetime.fromisoformat(ev["deadlines"]["handle_by"].replace("Z", "+00:00"))
    assert respond_by - created == timedelta(minutes=cats["l1"][2])
    assert handle_by - created == timedelta(minutes=cats["l1"][3])
    log = query(live, "SELECT action, to_status, actor FROM event_log WHERE event_id = %s", ev["id"])
    assert log == [("created", "dispatched", "demo-county")]
    audited = query(
        live,
        "SELECT actor, role, success FROM audit_log WHERE action = 'event.create' AND target = %s",
        f"event:{ev['id']}",
    )
    assert audited == [("demo-county", "county_commander", True)]
    submitted = query(live, "SELECT submitted_by FROM events WHERE id = %s", ev["id"])
    assert submitted == [("user:demo-county",)]
    again = live.client().get(f"{live.url}{URL}/{ev['id']}", timeout=10).json()
    token = ev.pop("tracking_token")  # the intake answer alone carries the reporter's token
    assert token.startswith(f"{ev['id']}.") and "tracking_token" not in again
    assert {k: again[k] for k in ev} == ev  # the one-event answer adds tasks and the timeline
    assert [t["receiver"]["code"] for t in again["tasks"]] == [inner["team"]]
    assert [step["action"] for step in again["timeline"]] == ["created"]
    # the documented schema (OpenAPI) describes exactly what is sent
    assert EventOut().dump(ev) == ev


def test_level_two_event_goes_to_county_center_and_department(live, cats, inner):
    r = post(live, body(cats, inner, category=cats["l2"][0]))
    assert r.status_code == 201, r.text
    ev = r.json()
    assert ev["level"] == 2
    assert ev["center"]["code"] == "320102-C"
    assert ev["assigned_to"]["kind"] == "department" and ev["assigned_to"]["id"] == cats["l2"][4]


@pytest.mark.parametrize(
    "crs",
    [
        # the national CRS: identical to WGS84 at this precision
        Crs.CGCS2000,
        # Amap/Tencent coordinates, offset by hundreds of metres
        Crs.GCJ02,
        # Baidu coordinates, offset again
        Crs.BD09,
    ],
)
def test_offset_coordinates_are_converted_back_within_a_metre(live, cats, inner, crs):
    lon, lat = from_wgs84(inner["lon"], inner["lat"], crs)
    r = post(live, body(cats, inner, crs=str(crs), location={"type": "Point", "coordinates": [lon, lat]}))
    assert r.status_code == 201, r.text
    ev = r.json()
    stored = ev["location"]["coordinates"]
    assert distance_m(stored, (inner["lon"], inner["lat"])) < 1.0
    assert ev["grid"]["code"] == inner["grid"]
    assert ev["reported_location"] == {"crs": str(crs), "coordinates": [lon, lat]}


def test_unconverted_gcj02_point_would_land_hundreds_of_metres_away(inner):
    lon, lat = from_wgs84(inner["lon"], inner["lat"], Crs.GCJ02)
    assert distance_m((lon, lat), (inner["lon"], inner["lat"])) > 100


def test_retry_with_same_client_ref_returns_the_original(live, cats, inner):
    payload = body(cats, inner, client_ref="retry-1")
    first = post(live, payload)
    before = count_events(live)
    second = post(live, payload)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert count_events(live) == before


def test_same_client_ref_with_different_content_is_a_conflict(live, cats, inner):
    post(live, body(cats, inner, client_ref="retry-2"))
    before = count_events(live)
    r = post(live, body(cats, inner, client_ref="retry-2", description="完全不同的事"))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "client_ref_conflict"
    assert count_events(live) == before


def test_racing_retries_create_exactly_one_event(live, cats, inner):
    payload = body(cats, inner, client_ref="race-1")
    barrier = threading.Barrier(8)
    responses = []

    def send():
        barrier.wait()
        responses.append(post(live, payload))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 7 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert query(live, "SELECT count(*) FROM events WHERE client_ref = 'race-1'")[0][0] == 1
    assert (
        query(
            live, "SELECT count(*) FROM event_log l JOIN events e ON e.id = l.event_id WHERE e.client_ref = 'race-1'"
        )[0][0]
        == 1
    )


def raw(live, data, content_type="application/json"):
    return live.client().post(live.url + URL, data=data, headers={"Content-Type": content_type}, timeout=10)


@pytest.mark.parametrize(
    "data, content_type, status, code",
    [
        # not JSON at all
        (b"{category: 1", "application/json", 400, "malformed_json"),
        # JSON sent as a form
        (b'{"category": "x"}', "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"category": "x"}', "text/plain", 415, "unsupported_media_type"),
        # over the 64 KiB limit
        (b'{"description": "' + b"x" * 70_000 + b'"}', "application/json", 413, "payload_too_large"),
    ],
)
def test_transport_errors(live, data, content_type, status, code):
    before = count_events(live)
    r = raw(live, data, content_type)
    assert r.status_code == status
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]
    assert count_events(live) == before


@pytest.mark.parametrize(
    "change, code",
    [
        ({"category": "no.such_category"}, "unknown_category"),
        ({"category": None}, "missing_category"),
        ({"location": None}, "missing_location"),
        ({"location": {"type": "Point", "coordinates": "118.8,32.05"}}, "invalid_coordinates"),
        ({"location": {"type": "Point", "coordinates": ["a", "b"]}}, "invalid_coordinates"),
        ({"location": {"lon": 118.8, "lat": 32.05}}, "malformed_location"),
        ({"location": {"type": "Point", "coordinates": [118.8, 95]}}, "coordinates_out_of_range"),
        ({"crs": "EPSG:3857"}, "unknown_crs"),
        ({"channel": "fax"}, "unknown_channel"),
        # Beijing's Tiananmen is far outside 玄武区
        ({"location": {"type": "Point", "coordinates": [116.3974, 39.9087]}}, "outside_jurisdiction"),
        # 秦淮区 next door: a real neighbour, still outside
        ({"location": {"type": "Point", "coordinates": [118.7946, 32.0208]}}, "outside_jurisdiction"),
    ],
)
def test_invalid_reports_answer_422_with_their_code_and_store_nothing(live, cats, inner, change, code):
    payload = body(cats, inner, client_ref=f"bad-{code}")
    payload.update(change)
    payload = {k: v for k, v in payload.items() if v is not None}
    before = count_events(live)
    r = post(live, payload)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
    assert count_events(live) == before
    assert query(live, "SELECT count(*) FROM events WHERE client_ref = %s", f"bad-{code}")[0][0] == 0


def test_missing_event_is_404(live):
    r = live.client().get(f"{live.url}{URL}/999999999", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "event_not_found"


def test_list_filters_and_paginates(live, cats, inner):
    for i in range(5):
        assert post(live, body(cats, inner, client_ref=f"list-{i}", description=f"第{i}件")).status_code == 201
    everything = live.client().get(f"{live.url}{URL}", params={"grid": inner["grid"], "limit": 2}, timeout=10).json()
    assert everything["total"] >= 5 and len(everything["items"]) == 2
    seen = [e["id"] for e in everything["items"]]
    page = everything
    while page["next"]:
        page = live.client().get(live.url + page["next"], timeout=10).json()
        seen += [e["id"] for e in page["items"]]
    assert len(seen) == len(set(seen)) == everything["total"]
    assert seen == sorted(seen, reverse=True)
    assert all(e["grid"]["code"] == inner["grid"] for e in everything["items"])
    assert "reporter" not in everything["items"][0]
    other = live.client().get(f"{live.url}{URL}", params={"township": "320102999"}, timeout=10).json()
    assert other == {"items": [], "total": 0, "next": None}
    by_cat = live.client().get(f"{live.url}{URL}", params={"category": cats["l2"][0]}, timeout=10).json()
    assert all(e["category"]["code"] == cats["l2"][0] for e in by_cat["items"])
    d = 0.0005
    box = f"{inner['lon'] - d},{inner['lat'] - d},{inner['lon'] + d},{inner['lat'] + d}"
    in_box = live.client().get(f"{live.url}{URL}", params={"bbox": box, "limit": 500}, timeout=10).json()
    assert in_box["total"] >= 5
    far = live.client().get(f"{live.url}{URL}", params={"bbox": "100,20,100.1,20.1"}, timeout=10).json()
    assert far["total"] == 0
    future = live.client().get(f"{live.url}{URL}", params={"since": "2099-01-01T00:00:00Z"}, timeout=10).json()
    assert future["total"] == 0
    past = live.client().get(f"{live.url}{URL}", params={"until": "2000-01-01T00:00:00+08:00"}, timeout=10).json()
    assert past["total"] == 0
    dispatched = live.client().get(f"{live.url}{URL}", params={"status": "dispatched"}, timeout=10).json()
    assert dispatched["total"] >= 5


def test_limit_is_clamped_to_the_maximum(live):
    r = live.client().get(f"{live.url}{URL}", params={"limit": 100000}, timeout=10)
    assert r.status_code == 200
    nxt = r.json()["next"]
    assert nxt is None or "limit=500" in nxt


@pytest.mark.parametrize(
    "params, code",
    [
        ({"limit": "ten"}, "invalid_limit"),
        ({"limit": 0}, "invalid_limit"),
        ({"offset": -1}, "invalid_offset"),
        ({"bbox": "1,2,3"}, "invalid_bbox"),
        # min greater than max
        ({"bbox": "119,32,118,33"}, "invalid_bbox"),
        ({"since": "yesterday"}, "invalid_time"),
        ({"status": "lost"}, "unknown_status"),
    ],
)
def test_bad_list_filters_are_422(live, params, code):
    r = live.client().get(f"{live.url}{URL}", params=params, timeout=10)
    assert r.status_code == 422 and r.json()["error"]["code"] == code


def test_errors_are_json_even_for_unknown_routes(live):
    r = live.client().get(f"{live.url}/api/v1/nothing-here", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = live.client().delete(f"{live.url}{URL}", timeout=10)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert json.loads(r.text)


def test_a_json_array_is_not_a_report(live):
    before = count_events(live)
    r = raw(live, b'[{"category": "x"}]')
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_body"
    assert count_events(live) == before
