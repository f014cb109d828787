"""Scoping over real HTTP: every area-bound caller works in its own area and sees nothing across it.

One module database holds the demo county (320102) plus, added here, a second county (320104,
a small square far away), a level-2 category of urban_management (the demo has none), extra
accounts and integrations, and events in chosen grids: the demo grid officer's own grid, a
grid touching it, a grid of the same township that does not touch it, and a grid of another
township. Out of scope, an event answers 404 event_not_found, exactly like one that does not exist.
"""

from __future__ import annotations

import pytest
import requests

from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.services.access.accounts import create_user
from gisapp.services.access.audit import Actor
from gisapp.services.access.integrations import create_integration
from gisapp.services.layers.features import layer_names
from tests.support import query

PASSWORD = "Scoping#Test2026"
OTHER_COUNTY = "320104"
EVENTS = "/api/v1/events"
URBAN_L2 = "urban.scoping_level_two"
REPORTER = {"name": "王小明", "phone": "13911112222"}


def point_of(live, grid):
    (row,) = query(
        live, "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids WHERE code = %s) s", grid
    )
    return list(row)


def bound_to(live, username):
    (row,) = query(
        live,
        "SELECT COALESCE(county_code, township_code, grid_code, department_code) FROM users WHERE username = %s",
        username,
    )
    return row[0]


def places(live):
    """The demo accounts' areas and the grids the events go into."""
    township, grid = bound_to(live, "demo-township"), bound_to(live, "demo-grid")
    in_township = (
        "SELECT g.code FROM grids g JOIN communities c ON c.code = g.community_code "
        "WHERE c.township_code = %s AND g.code <> %s AND {} ORDER BY g.code LIMIT 1"
    )
    touching = "ST_Touches(g.geom, (SELECT geom FROM grids WHERE code = %s))"
    apart = "NOT ST_Intersects(g.geom, (SELECT geom FROM grids WHERE code = %s))"
    ((neighbour,),) = query(live, in_township.format(touching), township, grid, grid)
    ((far,),) = query(live, in_township.format(apart), township, grid, grid)
    ((other_township,),) = query(live, "SELECT code FROM townships WHERE code <> %s ORDER BY code LIMIT 1", township)
    ((other_grid,),) = query(
        live,
        "SELECT min(g.code) FROM grids g JOIN communities c ON c.code = g.community_code WHERE c.township_code = %s",
        other_township,
    )
    return {
        "township": township,
        "grid": grid,
        "neighbour": neighbour,
        "far": far,
        "other_township": other_township,
        "other_grid": other_grid,
        "department": bound_to(live, "demo-dept"),
    }


def add_second_county_and_category(live):
    query(
        live,
        "INSERT INTO counties (code, name, geom) VALUES "
        "(%s, '秦淮区（测试）', ST_Multi(ST_MakeEnvelope(100.0, 20.0, 100.01, 20.01, 4326)))",
        OTHER_COUNTY,
    )
    query(
        live,
        "INSERT INTO categories (code, name, name_en, kind_code, department_code, priority, "
        "response_minutes, handling_minutes, level) VALUES "
        "(%s, '测试二级城管事件', 'scoping test level-2 event', 'urban', 'urban_management', "
        "'high', 30, 240, 2)",
        URBAN_L2,
    )


def add_accounts_and_integrations(live, where):
    """Extra accounts (password PASSWORD) and integrations; returns the integrations' API keys."""
    engine = make_engine(live.database_url, pool_size=1)
    keys = {}
    try:
        with transaction(make_session_factory(engine)) as session:
            admin = Actor("fixture", "security_admin", None)
            for username, role, bound in (
                ("u-other-township", "township_dispatcher", where["other_township"]),
                ("u-qh-commander", "county_commander", OTHER_COUNTY),
                ("u-qh-spare", "county_commander", OTHER_COUNTY),
                ("u-qh-security", "security_admin", OTHER_COUNTY),
                ("u-dept-spare", "department_staff", where["department"]),
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
            for code, county in (
                ("app-one", "320102"),
                ("app-two", "320102"),
                ("app-spare", "320102"),
                ("app-qh", OTHER_COUNTY),
            ):
                _, keys[code] = create_integration(
                    session,
                    live.app.config["AUDIT_KEY"],
                    admin,
                    code=code,
                    name=f"测试接入 {code}",
                    county_code=county,
                    channels=["public"],
                )
    finally:
        engine.dispose()
    return keys


def report(live, grid, category, http=None, **extra):
    payload = {
        "category": category,
        "description": "作用域测试",
        "location": {"type": "Point", "coordinates": point_of(live, grid)},
        "channel": "patrol",
        **extra,
    }
    return (http or live.client()).post(live.url + EVENTS, json=payload, timeout=30)


@pytest.fixture(scope="module")
def world(live):
    where = places(live)
    add_second_county_and_category(live)
    keys = add_accounts_and_integrations(live, where)
    ((level1,),) = query(
        live, "SELECT min(code) FROM categories WHERE level = 1 AND department_code = %s", where["department"]
    )
    ((l2_other,),) = query(
        live, "SELECT min(code) FROM categories WHERE level = 2 AND department_code <> %s", where["department"]
    )
    events = {}
    for name, grid, category in (
        ("grid", where["grid"], level1),
        ("neighbour", where["neighbour"], level1),
        ("far", where["far"], level1),
        ("other", where["other_grid"], level1),
        ("l2_mine", where["grid"], URBAN_L2),
        ("l2_other", where["grid"], l2_other),
    ):
        r = report(live, grid, category, reporter=REPORTER)
        assert r.status_code == 201, r.text
        events[name] = r.json()
    assert events["l2_mine"]["assigned_to"]["id"] == where["department"]
    assert events["l2_other"]["level"] == 2 and events["l2_other"]["assigned_to"]["id"] != where["department"]
    return {**where, "keys": keys, "events": events, "level1": level1}


_sessions: dict[tuple[str, str], requests.Session] = {}


def account(live, username):
    """A bearer-token session of an account created here (password PASSWORD)."""
    if (live.url, username) not in _sessions:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {live.token(username, PASSWORD)}"
        _sessions[(live.url, username)] = http
    return _sessions[(live.url, username)]


def integration(live, world, code):
    http = requests.Session()
    http.headers["X-API-Key"] = world["keys"][code]
    return http


def read(live, http, event):
    return http.get(f"{live.url}{EVENTS}/{event['id']}", timeout=10)


def assert_hidden(live, http, event):
    """Out of scope looks exactly like missing: 404 event_not_found, nothing of the event."""
    r = read(live, http, event)
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "event_not_found"
    assert set(r.json()) == {"error"} and "township" not in r.text


def listed(live, http, **params):
    r = http.get(live.url + EVENTS, params={"limit": 500, **params}, timeout=10)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["next"] is None  # everything fits in one page here
    return {e["id"] for e in page["items"]}, page["total"]


def scoped_ids(live, column, value, username):
    rows = query(live, f"SELECT id FROM events WHERE {column} = %s OR submitted_by = %s", value, f"user:{username}")
    return {r[0] for r in rows}


def layer(live, http, name):
    r = http.get(f"{live.url}/api/v1/layers/{name}", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["features"]


def locate(live, http, lon, lat):
    return http.get(live.url + "/api/v1/locate", params={"lon": lon, "lat": lat}, timeout=10)


# --------------------------------------------------------------------------- township dispatcher


def test_township_dispatcher_reads_its_townships_events_only(live, world):
    http, ev = live.client("demo-township"), world["events"]
    for name in ("grid", "neighbour", "far", "l2_mine"):
        r = read(live, http, ev[name])
        assert r.status_code == 200 and r.json()["township"]["code"] == world["township"]
    assert_hidden(live, http, ev["other"])
    ids, total = listed(live, http)
    assert ids == scoped_ids(live, "township_code", world["township"], "demo-township")
    assert total == len(ids) and ev["grid"]["id"] in ids and ev["other"]["id"] not in ids
    assert listed(live, http, township=world["other_township"]) == (set(), 0)
    # the other township's dispatcher: the mirror image
    other = account(live, "u-other-township")
    assert read(live, other, ev["other"]).status_code == 200
    assert_hidden(live, other, ev["grid"])


def test_township_dispatcher_map_shows_its_township_only(live, world):
    http = live.client("demo-township")
    grids = layer(live, http, "grids")
    assert grids and {f["properties"]["township_code"] for f in grids} == {world["township"]}
    ((expected,),) = query(
        live,
        "SELECT count(*) FROM grids g JOIN communities c ON c.code = g.community_code WHERE c.township_code = %s",
        world["township"],
    )
    assert len(grids) == expected
    communities = layer(live, http, "communities")
    assert communities and {f["properties"]["township_code"] for f in communities} == {world["township"]}
    assert [f["properties"]["code"] for f in layer(live, http, "townships")] == [world["township"]]


def test_township_dispatcher_locates_in_its_township_only(live, world):
    http = live.client("demo-township")
    inside = locate(live, http, *point_of(live, world["far"]))
    assert inside.status_code == 200 and inside.json()["township"]["code"] == world["township"]
    r = locate(live, http, *point_of(live, world["other_grid"]))
    assert r.status_code == 404 and r.json()["error"]["code"] == "outside_jurisdiction"


# --------------------------------------------------------------------------- grid officer


def test_grid_officer_reads_its_grids_events_only(live, world):
    http, ev = live.client("demo-grid"), world["events"]
    r = read(live, http, ev["grid"])
    assert r.status_code == 200 and r.json()["grid"]["code"] == world["grid"]
    # the map shows the neighbours for orientation; their events belong to their own officers
    for name in ("far", "neighbour", "other"):
        assert_hidden(live, http, ev[name])
    ids, total = listed(live, http)
    assert ids == scoped_ids(live, "grid_code", world["grid"], "demo-grid") and total == len(ids)


def test_grid_officer_map_is_its_grid_and_the_grids_touching_it(live, world):
    features = layer(live, live.client("demo-grid"), "grids")
    codes = sorted(f["properties"]["code"] for f in features)
    expected = [
        r[0]
        for r in query(
            live,
            "SELECT n.code FROM grids o JOIN grids n "
            "ON n.code = o.code OR ST_Touches(n.geom, o.geom) "
            "WHERE o.code = %s ORDER BY n.code",
            world["grid"],
        )
    ]
    assert codes == expected
    assert world["grid"] in codes and world["neighbour"] in codes and world["far"] not in codes


def test_grid_officer_locates_around_its_grid_only(live, world):
    http = live.client("demo-grid")
    assert locate(live, http, *point_of(live, world["neighbour"])).status_code == 200
    for grid in ("far", "other_grid"):
        r = locate(live, http, *point_of(live, world[grid]))
        assert r.status_code == 404 and r.json()["error"]["code"] == "outside_jurisdiction"


def test_grid_officer_reads_what_it_reported_elsewhere_in_the_county(live, world):
    http = live.client("demo-grid")
    r = report(live, world["other_grid"], world["level1"], http=http, reporter=REPORTER)
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine["grid"]["code"] == world["other_grid"]
    seen = read(live, http, mine).json()
    assert {k: seen[k] for k in mine if k != "tracking_token"} == {
        k: v for k, v in mine.items() if k != "tracking_token"
    }
    ids, _ = listed(live, http)
    assert mine["id"] in ids
    # reporting it does not make the officer its handler: no unmasking outside its grid
    assert http.get(f"{live.url}{EVENTS}/{mine['id']}/reporter", timeout=10).status_code == 404
    # and another area's caller still does not see it
    assert_hidden(live, live.client("demo-township"), mine)


# --------------------------------------------------------------------------- department staff


def test_department_staff_reads_level_two_events_of_its_department_only(live, world):
    http, ev = live.client("demo-dept"), world["events"]
    r = read(live, http, ev["l2_mine"])
    assert r.status_code == 200
    assert (r.json()["assigned_to"]["kind"], r.json()["assigned_to"]["id"]) == ("department", world["department"])
    assert_hidden(live, http, ev["l2_other"])
    # a level-1 event of one of its categories is the grid team's, not the department's
    assert ev["grid"]["category"]["code"] == world["level1"]
    assert_hidden(live, http, ev["grid"])
    ids, total = listed(live, http)
    assert ids == scoped_ids(live, "department_code", world["department"], "demo-dept") == {ev["l2_mine"]["id"]}
    assert total == 1


def test_department_staff_map_is_county_wide(live, world):
    ((grids,),) = query(live, "SELECT count(*) FROM grids")
    assert len(layer(live, live.client("demo-dept"), "grids")) == grids


# --------------------------------------------------------------------------- county commander


def test_commander_of_another_county_sees_nothing_of_this_one(live, world):
    http = account(live, "u-qh-commander")
    for event in world["events"].values():
        assert_hidden(live, http, event)
    assert listed(live, http) == (set(), 0)
    for name in layer_names():
        assert layer(live, http, name) == [], name
    r = locate(live, http, *point_of(live, world["grid"]))
    assert r.status_code == 404 and r.json()["error"]["code"] == "outside_jurisdiction"


def test_commander_of_this_county_sees_all_of_it(live, world):
    http = live.client("demo-county")
    for event in world["events"].values():
        assert read(live, http, event).status_code == 200
    ids, total = listed(live, http)
    assert ids == scoped_ids(live, "county_code", "320102", "demo-county") and total == len(ids)
    ((grids,),) = query(live, "SELECT count(*) FROM grids")
    assert len(layer(live, http, "grids")) == grids


# --------------------------------------------------------------------------- integrations


def test_integrations_read_back_their_own_events_only(live, world):
    one, two = integration(live, world, "app-one"), integration(live, world, "app-two")
    made = {}
    for code, http in (("app-one", one), ("app-two", two)):
        r = report(live, world["grid"], world["level1"], http=http, channel="public")
        assert r.status_code == 201, r.text
        made[code] = r.json()
        assert read(live, http, made[code]).status_code == 200
    assert_hidden(live, one, made["app-two"])
    assert_hidden(live, two, made["app-one"])
    assert_hidden(live, one, world["events"]["grid"])
    for code, http in (("app-one", one), ("app-two", two)):
        ids, total = listed(live, http)
        stored = {r[0] for r in query(live, "SELECT id FROM events WHERE submitted_by = %s", f"integration:{code}")}
        assert ids == stored and made[code]["id"] in ids and total == len(ids)


def test_integration_reports_on_its_channels_only(live, world):
    ((before,),) = query(live, "SELECT count(*) FROM events")
    r = report(live, world["grid"], world["level1"], http=integration(live, world, "app-one"), channel="patrol")
    assert r.status_code == 403 and r.json()["error"]["code"] == "channel_not_allowed"
    assert query(live, "SELECT count(*) FROM events")[0][0] == before


def test_integration_reports_in_its_county_only(live, world):
    ((before,),) = query(live, "SELECT count(*) FROM events")
    r = report(live, world["grid"], world["level1"], http=integration(live, world, "app-qh"), channel="public")
    assert r.status_code == 422 and r.json()["error"]["code"] == "outside_jurisdiction"
    assert query(live, "SELECT count(*) FROM events")[0][0] == before


@pytest.mark.parametrize("path", ["/api/v1/layers", "/api/v1/layers/grids", "/api/v1/locate?lon=118.8&lat=32.05"])
def test_integration_may_not_read_the_map(live, world, path):
    r = integration(live, world, "app-one").get(live.url + path, timeout=10)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


# --------------------------------------------------------------------------- unmasking


@pytest.mark.parametrize(
    "username, event, status",
    [
        ("demo-township", "grid", 200),
        ("u-other-township", "grid", 404),
        ("u-other-township", "other", 200),
        ("demo-grid", "grid", 200),
        ("demo-grid", "neighbour", 404),
        ("demo-dept", "l2_mine", 200),
        ("demo-dept", "l2_other", 404),
        ("u-qh-commander", "grid", 404),
    ],
)
def test_unmasking_follows_the_area_scope(live, world, username, event, status):
    http = account(live, username) if username.startswith("u-") else live.client(username)
    r = http.get(f"{live.url}{EVENTS}/{world['events'][event]['id']}/reporter", timeout=10)
    assert r.status_code == status, r.text
    if status == 200:
        assert r.json() == REPORTER
    else:
        assert r.json()["error"]["code"] == "event_not_found" and REPORTER["phone"] not in r.text


# --------------------------------------------------------------------------- security administrator


def new_account(live, username, role, bound):
    return live.client("demo-security").post(
        live.url + "/api/v1/users",
        json={"username": username, "role": role, "bound_to": bound, "password": PASSWORD},
        timeout=30,
    )


def test_security_admin_creates_accounts_in_its_county(live, world):
    r = new_account(live, "u-new-grid", "grid_officer", world["far"])
    assert r.status_code == 201, r.text
    assert r.json() == {"username": "u-new-grid", "role": "grid_officer", "bound_to": world["far"]}
    assert read(live, account(live, "u-new-grid"), world["events"]["far"]).status_code == 200


@pytest.mark.parametrize("role, bound", [("township_dispatcher", "320104001"), ("county_commander", OTHER_COUNTY)])
def test_security_admin_may_not_create_accounts_in_another_county(live, world, role, bound):
    r = new_account(live, f"u-refused-{role}", role, bound)
    assert r.status_code == 422 and r.json()["error"]["code"] == "outside_jurisdiction"
    assert query(live, "SELECT count(*) FROM users WHERE username = %s", f"u-refused-{role}")[0][0] == 0


def test_security_admin_neither_lists_nor_manages_another_countys_accounts(live, world):
    http = live.client("demo-security")
    names = {u["username"] for u in http.get(live.url + "/api/v1/users", timeout=10).json()["items"]}
    assert "demo-county" in names and "u-other-township" in names
    assert not names & {"u-qh-commander", "u-qh-spare"}
    r = http.post(live.url + "/api/v1/users/u-qh-spare/disable", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_user"
    assert query(live, "SELECT disabled FROM users WHERE username = 'u-qh-spare'") == [(False,)]


# The security administrator of another county reaches neither this county's integrations nor the
# accounts of the departments serving it.


def test_security_admin_of_another_county_neither_lists_nor_disables_this_countys_integrations(live, world):
    http = account(live, "u-qh-security")
    codes = {i["code"] for i in http.get(live.url + "/api/v1/integrations", timeout=10).json()["items"]}
    assert "app-qh" in codes
    assert not codes & {"app-one", "app-two", "app-spare"}
    r = http.post(live.url + "/api/v1/integrations/app-spare/disable", timeout=10)
    assert r.status_code in (404, 422), r.text
    assert query(live, "SELECT disabled FROM integrations WHERE code = 'app-spare'") == [(False,)]


def test_security_admin_of_another_county_does_not_manage_this_countys_department_accounts(live, world):
    http = account(live, "u-qh-security")
    names = {u["username"] for u in http.get(live.url + "/api/v1/users", timeout=10).json()["items"]}
    assert "u-qh-commander" in names
    assert not names & {"demo-dept", "u-dept-spare"}
    r = http.post(live.url + "/api/v1/users/u-dept-spare/password", json={"password": "Taken#Over2026"}, timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_user"
