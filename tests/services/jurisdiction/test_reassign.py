"""Re-assigning open events after grids change: dry run by default, the shared-edge rule, applying the
moves with their log and audit record, on the demo county inside a rolled-back transaction."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import shapely
from sqlalchemy import text

from gisapp.domain.intake import parse_event_report
from gisapp.services.access.audit import Actor
from gisapp.services.events.intake import Submitter, submit_event
from gisapp.services.jurisdiction.reassign import Move, reassign_events
from tests.support import TEST_AUDIT_KEY

BY = Submitter("user:tester", Actor("tester", "county_commander", None), "320102")
PLANNER = Actor("planner", "planner", "127.0.0.1")
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)


def report(session, lon: float, lat: float) -> int:
    category = session.execute(text("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")).scalar_one()
    parsed = parse_event_report(
        {"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [lon, lat]}}
    )
    return submit_event(session, parsed, by=BY, audit_key=None, now=NOW).event["id"]


@pytest.fixture()
def pair(session):
    """Two grids a < b sharing a long edge, a point inside b and a vertex of their shared edge."""
    a, b, wkb_a, wkb_b = session.execute(
        text("""
        SELECT x.code, y.code, ST_AsBinary(x.geom), ST_AsBinary(y.geom) FROM grids x
        JOIN grids y ON x.code < y.code AND x.geom && y.geom
        WHERE ST_Length(ST_Intersection(ST_Boundary(x.geom), ST_Boundary(y.geom))::geography) > 100
        ORDER BY x.code LIMIT 1""")
    ).one()
    ga, gb = shapely.from_wkb(bytes(wkb_a)), shapely.from_wkb(bytes(wkb_b))
    shared = ga.boundary.intersection(gb.boundary)
    vertex = shapely.get_coordinates(shared)[1]
    inside_b = gb.representative_point()
    return {"a": a, "b": b, "ga": ga, "gb": gb, "vertex": tuple(vertex), "inside_b": (inside_b.x, inside_b.y)}


def grid_of(session, event_id: int) -> str:
    return session.execute(text("SELECT grid_code FROM events WHERE id = :i"), {"i": event_id}).scalar_one()


def test_nothing_moves_when_grids_are_unchanged(session, pair):
    report(session, *pair["inside_b"])
    report(session, *pair["vertex"])
    # every open event of the demo county is where PostGIS placed it: the bulk pass agrees with locate()
    assert reassign_events(session) == []


def test_an_event_on_the_shared_edge_goes_to_the_lower_code(session, pair):
    on_edge = report(session, *pair["vertex"])
    assert grid_of(session, on_edge) == pair["a"]
    session.execute(text("UPDATE events SET grid_code = :b WHERE id = :i"), {"b": pair["b"], "i": on_edge})
    assert reassign_events(session, grid_codes=[pair["b"]]) == [Move(on_edge, pair["b"], pair["a"])]


def test_a_proposed_layout_is_a_dry_run(session, pair):
    inside = report(session, *pair["inside_b"])
    # a takes b's whole area: the event inside b would move to a
    proposed = {pair["a"]: pair["ga"].union(pair["gb"]), pair["b"]: pair["gb"].buffer(-1e-4)}
    moves = reassign_events(session, grid_codes=[pair["a"], pair["b"]], proposed=proposed)
    assert Move(inside, pair["b"], pair["a"]) in moves
    assert grid_of(session, inside) == pair["b"]  # nothing written


def test_an_event_left_outside_every_grid_is_reported_not_moved(session, pair):
    inside = report(session, *pair["inside_b"])
    hole = pair["gb"].difference(shapely.Point(pair["inside_b"]).buffer(1e-4))
    moves = reassign_events(
        session, grid_codes=[pair["b"]], proposed={pair["b"]: hole}, apply=True, key=TEST_AUDIT_KEY, actor=PLANNER
    )
    assert moves == [Move(inside, pair["b"], None)]
    assert grid_of(session, inside) == pair["b"]


def test_applying_moves_logs_audits_and_a_retry_changes_nothing(session, pair):
    on_edge = report(session, *pair["vertex"])
    closed = report(session, *pair["vertex"])
    session.execute(
        text("UPDATE events SET grid_code = :b WHERE id = ANY(:i)"), {"b": pair["b"], "i": [on_edge, closed]}
    )
    session.execute(text("UPDATE events SET status = 'closed' WHERE id = :i"), {"i": closed})
    audits = session.execute(text("SELECT count(*) FROM audit_log WHERE action = 'events.reassign'")).scalar_one()
    moves = reassign_events(session, grid_codes=[pair["b"]], apply=True, key=TEST_AUDIT_KEY, actor=PLANNER)
    assert moves == [Move(on_edge, pair["b"], pair["a"])]  # the closed event is left alone
    row = session.execute(
        text(
            "SELECT e.grid_code, e.community_code, d.community_code AS expected FROM events e "
            "JOIN grid_directory d ON d.grid_code = :a WHERE e.id = :i"
        ),
        {"a": pair["a"], "i": on_edge},
    ).one()
    assert row.grid_code == pair["a"] and row.community_code == row.expected
    note = session.execute(
        text("SELECT note FROM event_log WHERE event_id = :i AND action = 'reassign'"), {"i": on_edge}
    ).scalar_one()
    assert note == f"grid {pair['b']} -> {pair['a']}"
    assert grid_of(session, closed) == pair["b"]
    assert (
        session.execute(text("SELECT count(*) FROM audit_log WHERE action = 'events.reassign'")).scalar_one()
        == audits + 1
    )
    # a retry finds nothing to move and writes nothing
    assert reassign_events(session, grid_codes=[pair["b"]], apply=True, key=TEST_AUDIT_KEY, actor=PLANNER) == []
    assert (
        session.execute(
            text("SELECT count(*) FROM event_log WHERE event_id = :i AND action = 'reassign'"), {"i": on_edge}
        ).scalar_one()
        == 1
    )


def test_applying_needs_the_audit_key_and_actor(session):
    with pytest.raises(ValueError):
        reassign_events(session, apply=True)
