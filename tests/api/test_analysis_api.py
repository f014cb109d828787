"""The analysis routes over real HTTP on the demo county: a cluster of busy grids reported through the intake
service is a hot spot for the county and for its township, who sees what, and every bad input is a 422 with a
stable code (never a 500)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests

from gisapp.db import make_engine, make_session_factory, transaction
from gisapp.domain.intake import parse_event_report
from gisapp.services.access.audit import Actor
from gisapp.services.events.intake import Submitter, submit_event
from tests.support import query

HOTSPOTS = "/api/v1/analysis/hotspots"
TRENDS = "/api/v1/analysis/trends"
NOVEMBER = "from=2026-11-01&to=2026-12-01"
REPORTED_AT = datetime(2026, 11, 15, 2, 0, tzinfo=timezone.utc)
PER_GRID = 6


@pytest.fixture(scope="module")
def busy(live):
    """demo-township's grid with the most neighbours in its township, those neighbours, PER_GRID events of one
    category in each (reported mid-November through the intake service), and that category."""
    query(live, "SELECT refresh_grid_adjacency()")
    ((township,),) = query(live, "SELECT township_code FROM users WHERE username = 'demo-township'")
    ((centre,),) = query(
        live,
        "SELECT grid_code FROM grid_adjacency WHERE left(grid_code, 9) = %s "
        "AND left(neighbour_code, 9) = %s GROUP BY grid_code ORDER BY count(*) DESC, grid_code "
        "LIMIT 1",
        township,
        township,
    )
    ring = [
        r[0]
        for r in query(
            live,
            "SELECT neighbour_code FROM grid_adjacency WHERE grid_code = %s "
            "AND left(neighbour_code, 9) = %s ORDER BY 1",
            centre,
            township,
        )
    ]
    ((category,),) = query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
    report_events(live.database_url, [centre, *ring], category)
    return {"township": township, "centre": centre, "ring": ring, "category": category}


def report_events(database_url: str, grids: list[str], category: str) -> None:
    by = Submitter("user:analysis-test", Actor("analysis-test", "county_commander", None), "320102")
    engine = make_engine(database_url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        for grid in grids:
            ((lon, lat),) = session.execute(_point_sql(), {"g": grid}).all()
            body = {"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [lon, lat]}}
            for _ in range(PER_GRID):
                submit_event(session, parse_event_report(body), by=by, audit_key=None, now=REPORTED_AT)
    engine.dispose()


def _point_sql():
    from sqlalchemy import text

    return text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids WHERE code = :g) x")


def get(live, who: str, path: str, qs: str = "") -> requests.Response:
    return live.client(who).get(f"{live.url}{path}?{qs}", timeout=60)


def test_the_county_commander_sees_the_cluster_as_a_hot_spot(live, busy):
    r = get(live, "demo-county", HOTSPOTS, f"category={busy['category']}&{NOVEMBER}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["period", "category", "method", "grids", "summary"]
    assert body["period"] == {"from": "2026-11-01", "to": "2026-12-01"}
    assert body["category"]["code"] == busy["category"] and body["category"]["name"]
    assert body["method"]["statistic"] == "Getis-Ord Gi*" and body["method"]["levels"] == {
        "99": 0.01,
        "95": 0.05,
        "90": 0.1,
    }
    grids = {g["code"]: g for g in body["grids"]}
    ((county_grids,),) = query(live, "SELECT count(*) FROM grids")
    assert len(grids) == county_grids
    centre = grids[busy["centre"]]
    assert set(centre) == {"code", "name", "count", "z", "p", "class"}
    assert (centre["count"], centre["class"]) == (PER_GRID, "hot_99") and centre["z"] > 2.576 and centre["p"] < 0.01
    assert body["summary"]["hot"] >= len(busy["ring"]) and body["summary"]["cold"] == 0
    assert sum(g["count"] for g in body["grids"]) == PER_GRID * (1 + len(busy["ring"]))


def test_the_auditor_sees_the_county_and_the_dispatcher_its_township(live, busy):
    county = get(live, "demo-auditor", HOTSPOTS, NOVEMBER)
    assert county.status_code == 200 and county.json()["category"] is None
    township = get(live, "demo-township", HOTSPOTS, NOVEMBER)
    assert township.status_code == 200, township.text
    codes = [g["code"] for g in township.json()["grids"]]
    assert codes and all(c.startswith(busy["township"]) for c in codes)
    assert len(codes) < len(county.json()["grids"])
    assert {g["code"]: g["class"] for g in township.json()["grids"]}[busy["centre"]] == "hot_99"


def test_geojson_gives_the_significant_grids_with_their_shapes(live, busy):
    r = get(live, "demo-county", HOTSPOTS, f"{NOVEMBER}&format=geojson")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["summary"]["hot"] == len(body["features"])
    feature = next(f for f in body["features"] if f["id"] == busy["centre"])
    assert feature["geometry"]["type"] == "MultiPolygon" and feature["properties"]["class"] == "hot_99"


def test_trends_show_the_busy_category_as_emerging(live, busy):
    r = get(live, "demo-county", TRENDS, NOVEMBER)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"] == {"from": "2026-11-01", "to": "2026-12-01"}
    assert body["previous_periods"][0] == {"from": "2026-10-02", "to": "2026-11-01"}
    first = body["items"][0]
    assert first == {
        "category": busy["category"],
        "name": first["name"],
        "count": PER_GRID * (1 + len(busy["ring"])),
        "previous_mean": 0.0,
        "ratio": None,
        "emerging": True,
    }
    ((categories,),) = query(live, "SELECT count(*) FROM categories")
    assert len(body["items"]) == categories


def test_without_a_period_the_last_thirty_days_are_analysed(live, busy):
    r = get(live, "demo-county", TRENDS)
    period = r.json()["period"]
    days = (datetime.fromisoformat(period["to"]) - datetime.fromisoformat(period["from"])).days
    assert r.status_code == 200 and days == 30


@pytest.mark.parametrize("who", ["demo-grid", "demo-dept", "demo-planner", "demo-security", "demo-admin"])
def test_other_roles_are_refused(live, who):
    for path in (HOTSPOTS, TRENDS):
        r = get(live, who, path, NOVEMBER)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden"), (who, path)


BAD_HOTSPOT_QUERIES = [
    ("category=no.such_category", "unknown_category", "category"),
    # NUL bytes and a lone surrogate (decoded as U+FFFD): never reach a statement
    ("category=%00", "invalid_text", "category"),
    ("category=urban.littering%00", "invalid_text", "category"),
    ("category=%ED%A0%80", "unknown_category", "category"),
    ("category=" + "x" * 5000, "unknown_category", "category"),
    ("from=2026-13-01", "invalid_from", "from"),
    ("from=2026-02-30", "invalid_from", "from"),
    # ISO forms Python's date parser accepts but the API does not: one way to write a day
    ("from=20261101", "invalid_from", "from"),
    ("from=2026-W44-1", "invalid_from", "from"),
    ("to=2026-11-01T00:00:00", "invalid_to", "to"),
    # full-width digits
    ("from=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-11-01", "invalid_from", "from"),
    ("from=2026-11-01%00", "invalid_text", "from"),
    ("from=%ED%A0%80", "invalid_from", "from"),
    # huge numbers
    ("from=99999999999999999999-01-01", "invalid_from", "from"),
    ("to=1e308", "invalid_to", "to"),
    ("from=9999-12-31&to=9999-12-31", "date_out_of_range", "from"),
    ("from=1900-01-01&to=1900-02-01", "date_out_of_range", "from"),
    ("from=2026-12-01&to=2026-11-01", "invalid_period", "to"),
    ("from=2026-11-01&to=2026-11-01", "invalid_period", "to"),
    ("from=2020-01-01&to=2025-01-05", "period_too_long", "to"),
    ("format=xml", "invalid_format", "format"),
    ("format=GEOJSON", "invalid_format", "format"),
    # repeated and unknown parameters, arrays in PHP style
    ("from=2026-11-01&from=2026-11-02&to=2026-12-01", "repeated_parameter", "from"),
    ("category=a&category=b", "repeated_parameter", "category"),
    ("limit=10", "unknown_parameter", "limit"),
    ("from[]=2026-11-01", "unknown_parameter", "from[]"),
    ("%00=1", "invalid_text", None),  # refused at the edge: no field to name
]


@pytest.mark.parametrize("qs, code, field", BAD_HOTSPOT_QUERIES)
def test_bad_input_to_hotspots_is_a_422_with_a_stable_code(live, qs, code, field):
    r = get(live, "demo-county", HOTSPOTS, qs)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code and r.json()["error"].get("field") == field
    assert set(r.json()) == {"error"} and r.json()["error"]["message"]


@pytest.mark.parametrize(
    "qs, code",
    [
        ("from=2026-12-01&to=2026-11-01", "invalid_period"),
        ("from=2019-01-01&to=2026-01-01", "period_too_long"),
        ("to=not-a-date", "invalid_to"),
        # trends are of every category: no category parameter
        ("category=urban.littering", "unknown_parameter"),
        ("to=2026-12-01&to=2026-12-02", "repeated_parameter"),
    ],
)
def test_bad_input_to_trends_is_a_422_with_a_stable_code(live, qs, code):
    r = get(live, "demo-township", TRENDS, qs)
    assert (r.status_code, r.json()["error"]["code"]) == (422, code), r.text


def test_the_openapi_document_describes_both_routes(live):
    spec = live.client("demo-county").get(f"{live.url}/api/v1/openapi.json", timeout=30).json()
    hot = spec["paths"][HOTSPOTS]["get"]
    assert {p["name"] for p in hot["parameters"]} == {"from", "to", "category", "format"}
    assert "422" in hot["responses"] and sorted(hot["x-callers"]) == [
        "auditor",
        "county_commander",
        "township_dispatcher",
    ]
    assert {p["name"] for p in spec["paths"][TRENDS]["get"]["parameters"]} == {"from", "to"}
