"""Support from adjacent grids: the adjacency graph and the ranked candidates, on the demo county
inside a rolled-back transaction (members' duty and positions are set by each test)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from gisapp.domain.intake import parse_event_report
from gisapp.errors import NotFound
from gisapp.services.access.audit import Actor
from gisapp.services.command.support import Candidate, ensure_adjacency, rank_candidates, support_candidates
from gisapp.services.events.intake import Submitter, submit_event
from tests.support import distance_m

BY = Submitter("user:tester", Actor("tester", "county_commander", None), "320102")
NOW = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)
TOLERANCE_M = 1.0  # the tolerance sql/013 builds with


# --- helpers -----------------------------------------------------------------------------------------


def busiest_grid(session) -> str:
    """The grid with the most neighbours (at least one of them a corner when the demo has one)."""
    ensure_adjacency(session)
    return session.execute(
        text(
            "SELECT grid_code FROM grid_adjacency GROUP BY grid_code "
            "ORDER BY count(*) FILTER (WHERE contact = 'corner') > 0 DESC, count(*) DESC, grid_code LIMIT 1"
        )
    ).scalar_one()


def event_in(session, grid: str) -> dict:
    """A level-1 event at a point inside the grid (reported by a county commander: dispatched at once)."""
    lon, lat = session.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids WHERE code = :g) x"),
        {"g": grid},
    ).one()
    category = session.execute(text("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")).scalar_one()
    report = parse_event_report(
        {"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [lon, lat]}}
    )
    event = submit_event(session, report, by=BY, audit_key=None, now=NOW).event
    assert event["grid"]["code"] == grid
    return {"id": event["id"], "lon": lon, "lat": lat, "grid": grid}


def everyone_off_duty(session) -> None:
    session.execute(text("UPDATE members SET duty_status = 'off_duty'"))


def member_of(session, grid: str, n: int = 0) -> str:
    return session.execute(
        text("SELECT code FROM members WHERE team_code = 'T' || :g ORDER BY code OFFSET :n LIMIT 1"),
        {"g": grid, "n": n},
    ).scalar_one()


def place(session, member: str, lon: float, lat: float, *, age_s: int = 60, status: str = "on_duty") -> None:
    session.execute(
        text(
            "UPDATE members SET duty_status = :s, position = ST_SetSRID(ST_MakePoint(:x, :y), 4326), "
            "position_at = :at WHERE code = :m"
        ),
        {"s": status, "x": lon, "y": lat, "at": NOW - timedelta(seconds=age_s), "m": member},
    )


def inside(session, grid: str) -> tuple[float, float]:
    return session.execute(
        text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids WHERE code = :g) x"),
        {"g": grid},
    ).one()


def neighbours(session, grid: str) -> dict[str, str]:
    return dict(
        session.execute(
            text("SELECT neighbour_code, contact FROM grid_adjacency WHERE grid_code = :g"), {"g": grid}
        ).all()
    )


def codes(items: list[dict]) -> list[str]:
    return [i["member"]["code"] for i in items]


# --- the adjacency graph ------------------------------------------------------------------------------


def test_adjacency_is_stored_both_ways_with_the_same_contact(session):
    ensure_adjacency(session)
    one_way = session.execute(
        text(
            "SELECT count(*) FROM grid_adjacency a LEFT JOIN grid_adjacency b ON b.grid_code = a.neighbour_code "
            "AND b.neighbour_code = a.grid_code AND b.contact = a.contact AND b.shared_m = a.shared_m "
            "WHERE b.grid_code IS NULL"
        )
    ).scalar_one()
    assert one_way == 0
    counts = dict(session.execute(text("SELECT contact, count(*) FROM grid_adjacency GROUP BY contact")).all())
    assert counts["edge"] > 1000 and counts["corner"] > 0


def test_ring_one_is_every_grid_within_the_tolerance_of_the_event_grid(session):
    grid = busiest_grid(session)
    expected = set(
        session.execute(
            text(
                "SELECT g.code FROM grids g, grids e WHERE e.code = :g AND g.code <> e.code "
                "AND ST_DWithin(g.geom::geography, e.geom::geography, :tol)"
            ),
            {"g": grid, "tol": TOLERANCE_M},
        ).scalars()
    )
    assert set(neighbours(session, grid)) == expected and len(expected) >= 4


@pytest.fixture()
def drawn(session):
    """Five 100 m squares drawn far from the demo county, in an existing community: A, and around it
    B beside A across a 0.3 m hairline gap, C touching A at one corner only, D 3 m to A's left (beyond
    the tolerance), E overlapping A's bottom by a 0.5 m sliver."""
    community = session.execute(text("SELECT min(code) FROM communities")).scalar_one()
    m_lat, m_lon = 1 / 111_320, 1 / 94_200  # metres in degrees near 32.2 N
    x0, y0, dx, dy = 118.0, 32.2, 100 * m_lon, 100 * m_lat
    boxes = {
        "A": (x0, y0, x0 + dx, y0 + dy),
        "B": (x0 + dx + 0.3 * m_lon, y0, x0 + 2 * dx, y0 + dy),
        "C": (x0 + dx, y0 + dy, x0 + 2 * dx, y0 + 2 * dy),
        "D": (x0 - dx - 3 * m_lon, y0, x0 - 3 * m_lon, y0 + dy),
        "E": (x0, y0 - dy + 0.5 * m_lat, x0 + dx, y0 + 0.5 * m_lat),
    }
    made = {}
    for serial, (name, box) in enumerate(boxes.items(), start=901):
        made[name] = f"{community}{serial}"
        session.execute(
            text(
                "INSERT INTO grids (code, name, community_code, geom) VALUES "
                "(:c, :n, :p, ST_Multi(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)))"
            ),
            {
                "c": made[name],
                "n": f"测试网格{name}",
                "p": community,
                "x0": box[0],
                "y0": box[1],
                "x1": box[2],
                "y1": box[3],
            },
        )
    return made


def test_hairline_gap_and_sliver_are_edges_a_lone_corner_is_a_corner(session, drawn):
    assert ensure_adjacency(session) is True  # the new grids were noted: the graph refreshes
    assert ensure_adjacency(session) is False  # and is then current
    a = neighbours(session, drawn["A"])
    # B across a 0.3 m gap and E overlapping by 0.5 m share A's whole side; C touches one point; D is 3 m off
    assert a == {drawn["B"]: "edge", drawn["E"]: "edge", drawn["C"]: "corner"}
    assert neighbours(session, drawn["C"])[drawn["A"]] == "corner"
    shared = dict(
        session.execute(
            text("SELECT neighbour_code, shared_m FROM grid_adjacency WHERE grid_code = :g"), {"g": drawn["A"]}
        ).all()
    )
    assert 99 < shared[drawn["B"]] < 103 and shared[drawn["C"]] < 5


def test_moving_a_grid_refreshes_only_what_changed_and_matches_a_full_build(session, drawn):
    ensure_adjacency(session)
    # D moves right next to A: now within the tolerance, an edge
    session.execute(
        text("UPDATE grids SET geom = ST_Multi(ST_Translate(geom, 2.9 / 94200, 0)) WHERE code = :g"), {"g": drawn["D"]}
    )
    assert ensure_adjacency(session) is True
    incremental = set(session.execute(text("SELECT grid_code, neighbour_code, contact FROM grid_adjacency")).all())
    assert (drawn["A"], drawn["D"], "edge") in incremental and (drawn["D"], drawn["A"], "edge") in incremental
    session.execute(text("SELECT refresh_grid_adjacency(:t)"), {"t": TOLERANCE_M})
    assert (
        set(session.execute(text("SELECT grid_code, neighbour_code, contact FROM grid_adjacency")).all()) == incremental
    )


# --- the candidates -----------------------------------------------------------------------------------


@pytest.fixture()
def scene(session):
    """An event in the busiest grid, everyone off duty; its ring-1 and ring-2 grids."""
    grid = busiest_grid(session)
    event = event_in(session, grid)
    everyone_off_duty(session)
    ring1 = sorted(neighbours(session, grid))
    ring2 = sorted(
        set(
            session.execute(
                text("SELECT DISTINCT neighbour_code FROM grid_adjacency WHERE grid_code = ANY(:r)"), {"r": ring1}
            ).scalars()
        )
        - set(ring1)
        - {grid}
    )
    return {**event, "ring1": ring1, "ring2": ring2}


def test_ring_one_comes_first_then_ring_two_each_by_distance(session, scene):
    lon, lat = scene["lon"], scene["lat"]
    near1, far1 = member_of(session, scene["ring1"][0]), member_of(session, scene["ring1"][1])
    place(session, near1, lon + 0.0005, lat)
    place(session, far1, lon + 0.0020, lat)
    # a ring-2 member standing right at the event still comes after ring 1: the ring decides first
    at_event2, far2 = member_of(session, scene["ring2"][0]), member_of(session, scene["ring2"][1])
    place(session, at_event2, lon + 0.0001, lat)
    place(session, far2, lon + 0.0030, lat)
    items = support_candidates(session, scene["id"], now=NOW)
    assert codes(items) == [near1, far1, at_event2, far2]
    assert [i["ring"] for i in items] == [1, 1, 2, 2]
    first = items[0]
    assert first["grid"]["code"] == scene["ring1"][0] and first["member"]["team_code"] == "T" + scene["ring1"][0]
    assert first["member"]["duty_status"] == "on_duty" and first["position_age_s"] == 60
    assert first["distance_m"] == pytest.approx(distance_m((lon + 0.0005, lat), (lon, lat)), abs=0.5)


def test_stale_busy_off_duty_own_grid_and_already_sent_members_are_left_out(session, scene):
    lon, lat = scene["lon"], scene["lat"]
    kept, stale, busy, off, sent = session.execute(
        text("SELECT code FROM members WHERE team_code = ANY(:teams) ORDER BY code LIMIT 5"),
        {"teams": ["T" + g for g in scene["ring1"]]},
    ).scalars()
    place(session, kept, lon, lat, status="on_patrol")
    place(session, stale, lon, lat, age_s=901)  # older than the 900 s default
    place(session, busy, lon, lat, status="busy")
    place(session, off, lon, lat, status="off_duty")
    place(session, sent, lon, lat)
    place(session, member_of(session, scene["grid"]), lon, lat)  # the event's own team is not "support"
    other = event_in(session, scene["ring2"][0])  # sent to another event, still open: not free
    session.execute(
        text(
            "INSERT INTO event_tasks "
            "(event_id, kind, team_code, member_code, status, dispatched_at, respond_by, handle_by) "
            "SELECT :e, 'support', team_code, code, 'acknowledged', :now, :now, :now FROM members WHERE code = :m"
        ),
        {"e": other["id"], "m": sent, "now": NOW},
    )
    assert codes(support_candidates(session, scene["id"], now=NOW)) == [kept]
    # a looser freshness takes the stale one back
    assert set(codes(support_candidates(session, scene["id"], now=NOW, max_age_s=1000))) == {kept, stale}


def test_a_member_of_a_corner_only_neighbour_is_in_ring_one(session):
    ensure_adjacency(session)
    grid, corner = session.execute(
        text(
            "SELECT grid_code, neighbour_code FROM grid_adjacency WHERE contact = 'corner' "
            "AND neighbour_code IN (SELECT grid_code FROM teams) ORDER BY 1, 2 LIMIT 1"
        )
    ).one()
    event = event_in(session, grid)
    everyone_off_duty(session)
    member = member_of(session, corner)
    place(session, member, *inside(session, corner))
    (item,) = support_candidates(session, event["id"], now=NOW)
    assert (item["member"]["code"], item["grid"]["code"], item["ring"]) == (member, corner, 1)


def test_limit_keeps_the_best(session, scene):
    lon, lat = scene["lon"], scene["lat"]
    for i, grid in enumerate(scene["ring1"][:3]):
        place(session, member_of(session, grid), lon + 0.001 * (3 - i), lat)
    best = support_candidates(session, scene["id"], now=NOW)
    assert len(best) == 3
    assert support_candidates(session, scene["id"], now=NOW, limit=2) == best[:2]
    assert [i["distance_m"] for i in best] == sorted(i["distance_m"] for i in best)


def test_unknown_event_is_not_found(session):
    with pytest.raises(NotFound):
        support_candidates(session, 987654321, now=NOW)


def test_rank_breaks_distance_ties_by_member_code():
    def c(code, ring, distance):
        return Candidate(code, "x", "police", "T", "on_duty", "G", "g", ring, distance, 0)

    ranked = rank_candidates([c("M3", 2, 10.0), c("M2", 1, 50.0), c("M1", 1, 50.0), c("M0", 1, 70.0)])
    assert [x.member_code for x in ranked] == ["M1", "M2", "M0", "M3"]
