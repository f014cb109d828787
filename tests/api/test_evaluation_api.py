"""The evaluation API over real HTTP on the demo county: figures by scope with comparisons, drill-down, trend,
workload, area scoping, and hostile query strings answered 4xx with the error shape."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.support import query

TODAY = datetime.now(timezone.utc) + timedelta(hours=8)
FROM, TO = (TODAY - timedelta(days=3)).date().isoformat(), (TODAY + timedelta(days=1)).date().isoformat()


@pytest.fixture(scope="module")
def world(live):
    """Three events reported today in demo-grid's grid by the county commander; one handled and closed."""
    ((grid, lon, lat),) = query(
        live,
        "SELECT g.code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) "
        "FROM grids g JOIN users u ON u.grid_code = g.code WHERE u.username = 'demo-grid'",
    )
    ((category,),) = query(
        live, "SELECT code FROM categories WHERE level = 1 AND handling_unit = 'minutes' ORDER BY code LIMIT 1"
    )
    ids = []
    for _ in range(3):
        body = {"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [lon, lat]}}
        r = live.client("demo-county").post(live.url + "/api/v1/events", json=body, timeout=30)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    for who, action in (
        ("demo-grid", "acknowledge"),
        ("demo-grid", "arrive"),
        ("demo-grid", "handle"),
        ("demo-township", "verify"),
        ("demo-township", "close"),
    ):
        r = live.client(who).post(f"{live.url}/api/v1/events/{ids[0]}/actions", json={"action": action}, timeout=30)
        assert r.status_code == 200, r.text
    return {"grid": grid, "township": grid[:9], "ids": ids, "category": category}


def get(live, who: str, path: str, **params):
    return live.client(who).get(live.url + "/api/v1/evaluation" + path, params=params, timeout=30)


def test_the_county_sees_each_township_with_its_figures_and_comparisons(live, world):
    r = get(live, "demo-county", "", scope="township", **{"from": FROM, "to": TO})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scope"] == "township" and body["period"] == {"from": FROM, "to": TO}
    assert body["total"] == 8 and len(body["rows"]) == 8
    row = next(x for x in body["rows"] if x["code"] == world["township"])
    assert row["kpis"]["accepted"]["value"] == 3
    assert row["kpis"]["closure_rate"] == {"value": round(1 / 3, 6), "numerator": 1, "denominator": 3}
    assert row["previous"]["accepted"]["value"] == 0 and "year_before" in row
    assert {k["key"] for k in body["kpis"]} >= {"timely_response_rate", "satisfaction_rate", "repeat_rate"}


def test_drill_gives_the_events_behind_a_figure(live, world):
    r = get(
        live,
        "demo-auditor",
        "/drill",
        kpi="closure_rate",
        part="denominator",
        scope="grid",
        code=world["grid"],
        **{"from": FROM, "to": TO},
    )
    assert r.status_code == 200, r.text
    assert sorted(i["id"] for i in r.json()["items"]) == sorted(world["ids"])
    num = get(
        live, "demo-auditor", "/drill", kpi="closure_rate", scope="grid", code=world["grid"], **{"from": FROM, "to": TO}
    ).json()
    assert [i["id"] for i in num["items"]] == [world["ids"][0]]


def test_trend_and_workload(live, world):
    r = get(live, "demo-county", "/trend", bucket="day", **{"from": FROM, "to": TO})
    assert r.status_code == 200, r.text
    assert sum(p["kpis"]["accepted"]["value"] for p in r.json()["points"]) == 3
    w = get(live, "demo-county", "/workload", by="category", **{"from": FROM, "to": TO}).json()
    assert w["rows"][0]["key"] == world["category"] and w["rows"][0]["accepted"] == 3
    assert get(live, "demo-county", "/workload", by="kind", **{"from": FROM, "to": TO}).status_code == 200


def test_a_township_sees_its_own_area_only(live, world):
    own = get(live, "demo-township", "", scope="grid", **{"from": FROM, "to": TO}).json()
    assert all(row["code"].startswith("320102002") for row in own["rows"])
    assert (
        get(live, "demo-township", "", scope="county", **{"from": FROM, "to": TO}).json()["error"]["code"]
        == "scope_above_area"
    )
    ((other,),) = query(live, "SELECT code FROM grids WHERE left(code, 9) <> '320102002' LIMIT 1")
    r = get(live, "demo-township", "", scope="grid", code=other, **{"from": FROM, "to": TO})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unit_not_found"


def test_roles_outside_the_evaluation_are_refused(live, world):
    assert get(live, "demo-grid", "", **{"from": FROM, "to": TO}).status_code == 403
    assert get(live, "demo-planner", "", **{"from": FROM, "to": TO}).status_code == 403


# each case: a hostile or mistaken query string, and the stable code it must get (never a 500)
BAD = [
    ({"scope": "planet", "from": FROM, "to": TO}, "unknown_scope"),
    ({"scope": "grid"}, "missing_period"),
    ({"from": "2026-13-01", "to": TO}, "invalid_from"),
    ({"from": TO, "to": FROM}, "invalid_period"),
    ({"from": "2019-01-01", "to": "2026-01-02"}, "period_too_long"),
    ({"from": "2026-01-01\x00", "to": TO}, "invalid_text"),  # a NUL byte: refused at the edge
    ({"from": FROM, "to": TO, "code": "3201\x0002"}, "invalid_text"),
    ({"from": FROM, "to": TO, "limit": "9" * 5000}, "invalid_limit"),  # a huge number
    ({"from": FROM, "to": TO, "offset": "-1"}, "invalid_offset"),
    ({"from": FROM, "to": TO, "scope": ["grid", "team"]}, "repeated_parameter"),
    ({"from": FROM, "to": TO, "colour": "red"}, "unknown_parameter"),
    ({"from": "[[[[[[[[[[", "to": TO}, "invalid_from"),  # deep nesting, as text
]


@pytest.mark.parametrize(("params", "code"), BAD)
def test_hostile_query_strings_get_a_stable_code(live, world, params, code):
    r = get(live, "demo-county", "", **params)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code


# raw query strings: a lone surrogate (UTF-8 of U+D800), invalid UTF-8, a NUL byte
@pytest.mark.parametrize("raw", ["code=%ED%A0%80", "code=%FF%FE", "scope=%00grid", "scope=gr%C0%AFid"])
def test_raw_bytes_in_the_query_string_get_a_4xx(live, world, raw):
    r = live.client("demo-county").get(f"{live.url}/api/v1/evaluation?from={FROM}&to={TO}&{raw}", timeout=30)
    assert 400 <= r.status_code < 500, r.text
    assert "error" in r.json()


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/drill", {"kpi": "wealth", "scope": "grid", "code": "1"}, "unknown_kpi"),
        ("/drill", {"kpi": "reported", "part": "denominator", "scope": "county", "code": "320102"}, "no_denominator"),
        ("/drill", {"kpi": "reported", "scope": "grid"}, "missing_code"),
        ("/drill", {"kpi": "reported", "part": "half", "scope": "grid", "code": "1"}, "unknown_part"),
        ("/trend", {"bucket": "week"}, "unknown_bucket"),
        ("/workload", {"by": "colour"}, "unknown_by"),
    ],
)
def test_each_route_names_its_own_mistakes(live, world, path, params, code):
    r = get(live, "demo-county", path, **{"from": FROM, "to": TO, **params})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
