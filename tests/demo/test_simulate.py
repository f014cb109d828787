"""The demo county's simulation: the pure behaviour (rhythm, fates, next steps, shifts, patrols) without a
database, then the engine against a real PostGIS: a short history made through the services on a simulated
clock, the same seed giving the same county, and one live tick making support candidates appear."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import shapely
from sqlalchemy import text

from gisapp.db import make_engine, make_session_factory
from gisapp.demo import behaviour as b
from gisapp.demo.simulate import lay_history, start_simulation
from tests.support import TEST_AUDIT_KEY

UTC = timezone.utc
END = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 in China: a fixed end keeps the history reproducible
GRID = shapely.Polygon([(118.80, 32.05), (118.805, 32.05), (118.805, 32.054), (118.80, 32.054)])


# ------------------------------------------------------------------------------------------------ pure


def test_the_examples_in_the_docstrings_hold():
    import doctest

    assert doctest.testmod(b, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def test_reports_arrive_more_by_day_than_at_night():
    times = b.arrivals(7, END - timedelta(days=60), END, 20)
    by_day = sum(9 <= t.astimezone(b.CST).hour < 17 for t in times)
    by_night = sum(t.astimezone(b.CST).hour < 5 for t in times)
    assert 60 * 20 * 0.8 < len(times) < 60 * 20 * 1.2
    assert by_day > 5 * by_night


def test_a_fate_follows_from_the_reference_alone():
    assert b.fate_of("sim-1:1", "public") == b.fate_of("sim-1:1", "public")
    fates = [b.fate_of(f"sim-1:{i}", "hotline") for i in range(2000)]
    assert 0.02 < sum(f.void for f in fates) / 2000 < 0.1
    assert {f.rating for f in fates} == {None, "satisfied", "basically_satisfied", "dissatisfied"}
    # staff reports are never voided and their reporters do not rate (no tracking token handed out)
    assert not any(
        b.fate_of(f"sim-1:{i}", "patrol").void or b.fate_of(f"sim-1:{i}", "patrol").rating for i in range(500)
    )


def _view(status: str, tasks=(), done=(), **kw) -> b.EventView:
    return b.EventView(
        1,
        "sim-1:x",
        kw.pop("channel", "public"),
        status,
        kw.pop("level", 1),
        kw.pop("support", 0),
        END,
        len(done) + 1,
        frozenset(done),
        tuple(tasks),
        kw.pop("rated", False),
    )


def _task(status: str, receiver: str = "team:T1", **kw) -> b.TaskView:
    return b.TaskView(
        1,
        kw.get("kind", "handle"),
        receiver,
        status,
        kw.get("pending", False),
        END - timedelta(minutes=10),
        END + timedelta(minutes=20),
        END + timedelta(hours=8),
    )


# each case: the step a plain fate leads to from that state, and who takes it
@pytest.mark.parametrize(
    "view, action, who",
    [
        (_view("reported"), "accept", "center"),
        (_view("accepted"), "dispatch", "center"),
        # a level-1 event its team returned goes to the county center
        (_view("accepted", done={"return"}), "escalate", "center"),
        (_view("dispatched", [_task("dispatched")]), "acknowledge", "team:T1"),
        (_view("acknowledged", [_task("acknowledged")]), "arrive", "team:T1"),
        (_view("on_scene", [_task("on_scene")]), "handle", "team:T1"),
        (_view("handled", [_task("handled")]), "verify", "center"),
        (_view("verified"), "close", "center"),
        # a pending extension waits for the center's answer, whatever else is open
        (_view("on_scene", [_task("on_scene", pending=True)]), "approve_extension", "center"),
        (_view("on_scene", [_task("on_scene")], support=2), "confirm_support", "center"),
    ],
)
def test_the_next_step_of_a_plain_fate(view, action, who):
    plan = b.next_step(view, b.Fate())
    assert (plan.action if plan.action != "refuse_extension" else "approve_extension", plan.who) == (action, who)
    assert plan.at >= view.last_at


def test_fates_lead_to_returns_late_steps_support_and_ratings():
    assert b.next_step(_view("dispatched", [_task("dispatched")]), b.Fate(returned=True)).action == "return"
    late = b.next_step(_view("acknowledged", [_task("acknowledged")]), b.Fate(late_response=True))
    assert late.action == "arrive" and late.at > END + timedelta(minutes=20)  # after respond_by
    assert b.next_step(_view("on_scene", [_task("on_scene")]), b.Fate(support=True)).action == "request_support"
    ext = b.next_step(_view("on_scene", [_task("on_scene")]), b.Fate(extension=True))
    assert ext.action == "request_extension" and ext.until > END + timedelta(hours=8)
    assert b.next_step(_view("handled", [_task("handled")]), b.Fate(send_back=True)).action == "send_back"
    rated = b.next_step(_view("closed"), b.Fate(rating="dissatisfied"))
    assert (rated.who, rated.action, rated.rating) == ("reporter", "rate", "dissatisfied")
    assert b.next_step(_view("closed", rated=True), b.Fate(rating="dissatisfied")) is None
    assert b.next_step(_view("voided"), b.Fate()) is None


def test_shifts_take_turns_and_leaders_work_by_day():
    night = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 02:00 in China
    assert b.shift_start(b.shift_of("grid_leader", 2), night) is None
    assert [b.shift_start(b.shift_of("police", i), night) is not None for i in range(3)] == [False, False, True]
    assert b.next_shift_start(0, night) == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


def test_a_patrol_stays_in_its_grid_unless_it_wanders():
    rng = b.rng_for("route")
    route = b.patrol_route(rng, GRID)
    assert all(GRID.covers(shapely.Point(p)) for t in range(0, 3600, 30) for p in [b.position_on_route(route, t)])
    wander = b.patrol_route(rng, GRID, wander=True)
    assert sum(not GRID.covers(shapely.Point(p)) for p in wander) == 1


# ------------------------------------------------------------------------------------------------ with PostGIS


def _history(url: str, days: int = 3, per_day: float = 30) -> dict:
    """Lay a short history on a fresh clone; what it made, keyed by the events' client_ref."""
    engine = make_engine(url, pool_size=1)
    with make_session_factory(engine)() as session:
        counts = lay_history(
            session, TEST_AUDIT_KEY, start=END - timedelta(days=days), end=END, seed=5, events_per_day=per_day
        )
        log = session.execute(
            text(
                "SELECT e.client_ref, l.action, l.at, l.actor, l.to_status "
                "FROM event_log l JOIN events e ON e.id = l.event_id ORDER BY e.client_ref, l.at, l.id"
            )
        ).all()
        events = session.execute(
            text(
                "SELECT client_ref, channel, category_code, grid_code, status, rating, level "
                "FROM events ORDER BY client_ref"
            )
        ).all()
        supervisions = session.execute(
            text(
                "SELECT e.client_ref, s.at, s.state, s.time_limit "
                "FROM supervisions s JOIN events e ON e.id = s.event_id "
                "ORDER BY 1, 2, 3"
            )
        ).all()
    engine.dispose()
    return {"counts": counts, "log": log, "events": events, "supervisions": supervisions}


@pytest.fixture(scope="module")
def two_histories(clone_db):
    return _history(clone_db()), _history(clone_db())


def test_history_goes_through_the_life_cycle_on_the_simulated_clock(two_histories):
    made, _ = two_histories
    actions = {row.action for row in made["log"]}
    assert {"created", "accept", "dispatch", "acknowledge", "arrive", "handle", "verify", "close"} <= actions
    assert {"return", "request_support", "confirm_support", "request_extension", "supervise"} & actions
    assert all(END - timedelta(days=3) <= row.at <= END for row in made["log"])  # back-dated, not load time
    assert {row.channel for row in made["events"]} == {"patrol", "public", "hotline", "video", "referral"}
    assert made["supervisions"], "late tasks were warned or marked overdue by the supervision pass"
    assert any(row.rating for row in made["events"]), "closed reports were rated by their reporters"
    assert made["counts"].events == len(made["events"]) and made["counts"].steps > 3 * made["counts"].events
    # the callers are the proper ones: the grid's team, the department, the center
    actors = {row.action: row.actor for row in made["log"]}
    assert actors["accept"].startswith(("sim-township-", "sim-county-"))
    assert actors["acknowledge"].startswith(("sim-grid-", "sim-department-"))


def test_the_same_seed_makes_the_same_history(two_histories):
    first, second = two_histories
    assert first["events"] == second["events"]
    assert first["log"] == second["log"]
    assert first["supervisions"] == second["supervisions"]


def test_one_tick_posts_fresh_positions_and_support_finds_members_of_adjacent_grids(session):
    from gisapp.domain.intake import parse_event_report
    from gisapp.services.access.audit import Actor
    from gisapp.services.command.support import support_candidates
    from gisapp.services.events.intake import Submitter, submit_event

    now = datetime.now(UTC)
    sim = start_simulation(session, TEST_AUDIT_KEY, seed=3, events_per_day=1)
    sim.tick(now)
    fresh = session.execute(
        text("SELECT count(*) FROM members WHERE duty_status <> 'off_duty' AND position_at >= :t"), {"t": now}
    ).scalar_one()
    assert fresh > 300  # a third of the county's 2,059 members is on any shift
    grid, lon, lat = session.execute(
        text(
            "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grids "
            "WHERE code IN (SELECT grid_code FROM teams) ORDER BY code LIMIT 1 OFFSET 100"
        )
    ).one()
    report = parse_event_report(
        {
            "category": "urban.littering",
            "channel": "patrol",
            "description": "乱堆乱放",
            "location": {"type": "Point", "coordinates": [lon, lat]},
        }
    )
    event = submit_event(
        session, report, by=Submitter("user:t", Actor("t", "county_commander")), audit_key=None, now=now
    ).event
    found = support_candidates(session, event["id"], now=now)
    assert found and {c["ring"] for c in found} <= {1, 2} and found[0]["ring"] == 1
    assert all(c["position_age_s"] < 60 for c in found)
