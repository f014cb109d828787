"""Hot spots and trends on the demo county, events reported through the intake service inside a rolled-back
transaction: what is counted (accepted events, the period's days in China Standard Time, the caller's area)
and what Gi* makes of a cluster."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from gisapp.domain.evaluation import Period
from gisapp.domain.intake import parse_event_report
from gisapp.domain.security import Binding, Role
from gisapp.errors import Forbidden, ValidationFailed
from gisapp.services.access.accounts import Account
from gisapp.services.access.audit import Actor
from gisapp.services.command.support import ensure_adjacency
from gisapp.services.evaluation.figures import Area
from gisapp.services.evaluation.figures import area_of as analysis_area
from gisapp.services.evaluation.hotspots import (
    emerging_trends,
    event_counts_by_category,
    event_counts_by_grid,
    hot_spot_features,
    hot_spots,
)
from gisapp.services.events.intake import Submitter, submit_event

STAFF = Submitter("user:tester", Actor("tester", "county_commander", None), "320102")
OUTSIDE_SYSTEM = Submitter("integration:app", Actor("app", "integration", None), "320102", accepts=False)
NOVEMBER = Period(date(2026, 11, 1), date(2026, 12, 1))
MID_NOVEMBER = datetime(2026, 11, 15, 2, 0, tzinfo=timezone.utc)


def categories(session, n=2) -> list[str]:
    return (
        session.execute(text("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT :n"), {"n": n})
        .scalars()
        .all()
    )


def report(session, grid: str, category: str, at: datetime = MID_NOVEMBER, by: Submitter = STAFF) -> dict:
    """An event at a point inside the grid, reported at the given time."""
    lon, lat = session.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids WHERE code = :g) x"),
        {"g": grid},
    ).one()
    body = {"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [lon, lat]}}
    return submit_event(session, parse_event_report(body), by=by, audit_key=None, now=at).event


@pytest.fixture()
def cluster(session):
    """The township grid with the most neighbours inside its township, and those neighbours."""
    ensure_adjacency(session)
    centre, township = session.execute(
        text(
            "SELECT grid_code, left(grid_code, 9) FROM grid_adjacency "
            "WHERE left(neighbour_code, 9) = left(grid_code, 9) "
            "GROUP BY grid_code ORDER BY count(*) DESC, grid_code LIMIT 1"
        )
    ).one()
    ring = (
        session.execute(
            text(
                "SELECT neighbour_code FROM grid_adjacency WHERE grid_code = :g "
                "AND left(neighbour_code, 9) = :t ORDER BY 1"
            ),
            {"g": centre, "t": township},
        )
        .scalars()
        .all()
    )
    return {"centre": centre, "ring": ring, "township": township}


def test_every_grid_of_the_area_is_counted_and_only_accepted_events_of_the_period(session, cluster):
    first, second = categories(session)
    grid = cluster["centre"]
    report(session, grid, first)
    report(session, grid, second)
    report(session, grid, first, at=datetime(2026, 10, 31, 15, 59, tzinfo=timezone.utc))  # 23:59 CST, October
    report(session, grid, first, at=datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc))  # 00:00 CST, December
    report(session, grid, first, by=OUTSIDE_SYSTEM)  # reported, not accepted
    voided = report(session, grid, first)
    session.execute(text("UPDATE events SET status = 'voided' WHERE id = :id"), {"id": voided["id"]})
    report(session, grid, first, at=datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc))  # 00:00 CST, November
    counts = event_counts_by_grid(session, "township_code", cluster["township"], None, NOVEMBER.start, NOVEMBER.end)
    township_grids = session.execute(
        text("SELECT count(*) FROM grids WHERE left(code, 9) = :t"), {"t": cluster["township"]}
    ).scalar_one()
    assert len(counts) == township_grids and all(c.startswith(cluster["township"]) for c in counts)
    assert counts[grid] == 3 and sum(counts.values()) == 3
    by_category = event_counts_by_grid(
        session, "township_code", cluster["township"], second, NOVEMBER.start, NOVEMBER.end
    )
    assert by_category[grid] == 1 and sum(by_category.values()) == 1
    assert event_counts_by_category(session, "county_code", "320102", NOVEMBER.start, NOVEMBER.end) == {
        first: 2,
        second: 1,
    }


def test_another_townships_events_are_not_in_a_townships_counts(session, cluster):
    (category,) = categories(session, 1)
    other = session.execute(
        text("SELECT code FROM grids WHERE left(code, 9) <> :t ORDER BY code LIMIT 1"), {"t": cluster["township"]}
    ).scalar_one()
    report(session, other, category)
    counts = event_counts_by_grid(session, "township_code", cluster["township"], None, NOVEMBER.start, NOVEMBER.end)
    assert other not in counts and sum(counts.values()) == 0
    county = event_counts_by_grid(session, "county_code", "320102", None, NOVEMBER.start, NOVEMBER.end)
    assert county[other] == 1


def make_cluster(session, cluster, category, per_grid=6) -> None:
    for grid in [cluster["centre"], *cluster["ring"]]:
        for _ in range(per_grid):
            report(session, grid, category)


def test_a_busy_grid_and_its_neighbours_are_a_99_percent_hot_spot(session, cluster):
    (category,) = categories(session, 1)
    make_cluster(session, cluster, category)
    result = hot_spots(session, Area("township_code", cluster["township"]), category, NOVEMBER)
    by_code = {g["code"]: g for g in result["grids"]}
    assert by_code[cluster["centre"]]["class"] == "hot_99" and by_code[cluster["centre"]]["count"] == 6
    assert by_code[cluster["centre"]]["z"] > 2.576 and by_code[cluster["centre"]]["p"] < 0.01
    assert result["summary"]["hot"] >= 1 + len(cluster["ring"]) // 2 and result["summary"]["cold"] == 0
    assert result["category"]["code"] == category and result["category"]["name"]
    assert result["period"] == {"from": "2026-11-01", "to": "2026-12-01"}
    assert result["method"]["statistic"] == "Getis-Ord Gi*" and "esda" in result["method"]["library"]
    assert [g["code"] for g in result["grids"]] == sorted(by_code)
    assert set(result["grids"][0]) == {"code", "name", "count", "z", "p", "class"}
    # another category had nothing: no grid stands out
    other = hot_spots(session, Area("township_code", cluster["township"]), categories(session)[1], NOVEMBER)
    assert other["summary"] == {"hot": 0, "cold": 0}


def test_the_significant_grids_come_as_geojson_features(session, cluster):
    (category,) = categories(session, 1)
    make_cluster(session, cluster, category)
    analysis = hot_spots(session, Area("county_code", "320102"), None, NOVEMBER)
    collection = hot_spot_features(session, analysis)
    significant = [g["code"] for g in analysis["grids"] if g["class"] != "not_significant"]
    assert collection["type"] == "FeatureCollection" and [f["id"] for f in collection["features"]] == significant
    first = collection["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon" and first["properties"]["class"].startswith("hot_")
    assert collection["summary"] == analysis["summary"] and collection["period"] == analysis["period"]


def test_an_unknown_category_is_refused(session):
    with pytest.raises(ValidationFailed) as caught:
        hot_spots(session, Area("county_code", "320102"), "no.such\x00category", NOVEMBER)
    assert caught.value.code == "unknown_category"


def test_a_category_well_above_its_previous_mean_is_emerging(session, cluster):
    rising, steady = categories(session)
    grid = cluster["centre"]
    for days_back in (7, 14, 21):  # one event in each of the three previous weeks, for both categories
        for category in (rising, steady):
            report(session, grid, category, at=datetime(2026, 11, 22, 2, tzinfo=timezone.utc) - timedelta(days_back))
    for _ in range(6):
        report(session, grid, rising, at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc))
    for _ in range(2):
        report(session, grid, steady, at=datetime(2026, 11, 24, 2, tzinfo=timezone.utc))
    week = Period(date(2026, 11, 22), date(2026, 11, 29))
    result = emerging_trends(session, Area("county_code", "320102"), week)
    items = {i["category"]: i for i in result["items"]}
    assert items[rising] | {"name": None} == {
        "category": rising,
        "name": None,
        "count": 6,
        "previous_mean": 1.0,
        "ratio": 6.0,
        "emerging": True,
    }
    assert (items[steady]["count"], items[steady]["ratio"], items[steady]["emerging"]) == (2, 2.0, False)
    assert result["items"][0]["category"] == rising  # emerging first
    assert result["previous_periods"][0] == {"from": "2026-11-15", "to": "2026-11-22"}
    quiet = [i for i in result["items"] if i["category"] not in (rising, steady)]
    assert quiet and all(i["ratio"] is None and not i["emerging"] for i in quiet)


@pytest.mark.parametrize(
    "role, binding, bound_to, column",
    [
        (Role.COUNTY_COMMANDER, Binding.COUNTY, "320102", "county_code"),
        # the auditor reviews the whole county
        (Role.AUDITOR, Binding.COUNTY, "320102", "county_code"),
        (Role.TOWNSHIP_DISPATCHER, Binding.TOWNSHIP, "320102002", "township_code"),
    ],
)
def test_the_area_analysed_is_the_callers_county_or_township(role, binding, bound_to, column):
    assert analysis_area(Account(1, "x", role, binding, bound_to)) == Area(column, bound_to)


def test_an_account_bound_to_a_grid_has_no_area_to_analyse():
    with pytest.raises(Forbidden):
        analysis_area(Account(1, "x", Role.GRID_OFFICER, Binding.GRID, "320102002001001"))
