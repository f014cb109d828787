"""Evaluation figures on real PostGIS: formulas checked on events built step by step with known answers, and
the roll-ups against a from-scratch computation after random life-cycle steps (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.evaluation import AS_OF_MEASURES, MEASURES, Period, ScopeKind
from gisapp.domain.intake import parse_event_report
from gisapp.domain.lifecycle import parse_step
from gisapp.domain.permissions import event_scope
from gisapp.domain.supervision import Policy
from gisapp.errors import AppError, NotFound, ValidationFailed
from gisapp.services.access.accounts import account_columns, account_from_row
from gisapp.services.access.audit import Actor
from gisapp.services.evaluation.figures import TZ, Area, drill, evaluate, fold, measures, rebuild
from gisapp.services.events.intake import Submitter, submit_event
from gisapp.services.events.lifecycle import perform
from gisapp.services.events.supervision import run_pass
from gisapp.services.events.tracking import rate, tracking_token
from tests.support import TEST_AUDIT_KEY as KEY

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in the county
DAY = Period(date(2026, 11, 2), date(2026, 11, 3))
COUNTY = Area("county_code", "320102")
STAFF = Submitter("user:tester", Actor("tester", "county_commander", None), "320102")
APP = Submitter("integration:citizen-app", Actor("citizen-app", "integration", None), "320102", accepts=False)


@pytest.fixture()
def world(session) -> dict:
    """demo-grid's grid, team and township, a level-1 category counted in clock minutes."""
    return _world(session)


def _world(session) -> dict:
    grid, township, lon, lat = session.execute(
        text(
            "SELECT g.code, left(g.code, 9), ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom)) "
            "FROM grids g JOIN users u ON u.grid_code = g.code WHERE u.username = 'demo-grid'"
        )
    ).one()
    team = session.execute(text("SELECT code FROM teams WHERE grid_code = :g"), {"g": grid}).scalar_one()
    cat = session.execute(
        text(
            "SELECT code, response_minutes, handling_minutes FROM categories "
            "WHERE level = 1 AND handling_unit = 'minutes' ORDER BY code LIMIT 1"
        )
    ).one()
    return {
        "grid": grid,
        "township": township,
        "team": team,
        "lon": lon,
        "lat": lat,
        "category": cat.code,
        "response": cat.response_minutes,
        "handling": cat.handling_minutes,
    }


def report(session, world, at: datetime, *, by=STAFF, channel="patrol") -> int:
    body = {
        "category": world["category"],
        "channel": channel,
        "location": {"type": "Point", "coordinates": [world["lon"], world["lat"]]},
    }
    return submit_event(session, parse_event_report(body), by=by, audit_key=None, now=at).event["id"]


def act(session, username: str, event_id: int, action: str, at: datetime, **fields) -> None:
    acc = account_from_row(
        session.execute(
            text(f"SELECT {account_columns('u')} FROM users u WHERE u.username = :u"), {"u": username}
        ).one()
    )
    perform(
        session,
        KEY,
        acc,
        Actor(username, str(acc.role), None),
        event_id,
        parse_step({"action": action, **fields}),
        event_scope(str(acc.role), acc.bound_to, f"user:{username}"),
        now=at,
    )


def handle(session, event_id: int, ack: datetime, done: datetime) -> None:
    act(session, "demo-grid", event_id, "acknowledge", ack)
    act(session, "demo-grid", event_id, "arrive", ack + timedelta(minutes=1))
    act(session, "demo-grid", event_id, "handle", done)


def close(session, event_id: int, at: datetime) -> None:
    act(session, "demo-township", event_id, "verify", at)
    act(session, "demo-township", event_id, "close", at + timedelta(minutes=1), note="已办结")


def scenario(session, world) -> dict:
    """Five reports on one Monday, each with a known outcome."""
    m = timedelta(minutes=1)
    r, h = world["response"], world["handling"]
    on_time = report(session, world, T0)
    handle(session, on_time, T0 + 5 * m, T0 + 30 * m)
    close(session, on_time, T0 + 40 * m)
    late = report(session, world, T0)
    handle(session, late, T0 + (r + 5) * m, T0 + (h + 10) * m)
    close(session, late, T0 + (h + 20) * m)
    returned = report(session, world, T0)
    act(session, "demo-grid", returned, "return", T0 + 3 * m, note="不属于本网格")
    voided = report(session, world, T0, by=APP, channel="public")
    act(session, "demo-township", voided, "void", T0 + 2 * m, note="重复")
    reworked = report(session, world, T0)
    handle(session, reworked, T0 + 2 * m, T0 + 20 * m)
    act(session, "demo-township", reworked, "send_back", T0 + 25 * m, note="未清理干净")
    handle(session, reworked, T0 + 26 * m, T0 + 50 * m)
    close(session, reworked, T0 + 60 * m)
    token = tracking_token(KEY, on_time)
    rate(session, KEY, token, "satisfied", None, client_addr=None, now=T0 + 2 * timedelta(hours=1))
    return {"on_time": on_time, "late": late, "returned": returned, "voided": voided, "reworked": reworked}


def kpis(session, scope=ScopeKind.GRID, code=None, period=DAY, area=COUNTY):
    fold(session)
    answer = evaluate(session, area, scope, period, code=code, now=T0 + timedelta(days=30))
    return answer["rows"][0]["kpis"], answer


def test_the_formulas_on_five_reports_with_known_outcomes(session, world):
    ids = scenario(session, world)
    k, answer = kpis(session, code=world["grid"])
    pairs = {key: (v["numerator"], v["denominator"]) for key, v in k.items()}
    assert pairs["reported"] == (5, None)
    assert pairs["valid_report_rate"] == (4, 5)  # the voided report is not a case
    assert pairs["accepted"] == (4, None)
    assert pairs["timely_response_rate"] == (2, 4)  # late: after its limit; returned: never acknowledged
    assert pairs["on_time_handling_rate"] == (2, 3)  # returned task not a handling task; late one late
    assert pairs["closure_rate"] == (2, 4)  # the late one closed days after the period's end
    assert pairs["on_time_closure_rate"] == (2, 4)
    assert pairs["rework_rate"] == (1, 3)  # sent back once, of three handled at least once
    assert pairs["accurate_dispatch_rate"] == (3, 4)  # one task returned
    assert pairs["satisfaction_rate"] == (1, 1)
    assert pairs["self_handled_rate"] == (0, 4)  # reported by a commander, not a member
    assert k["closure_rate"]["value"] == 0.5
    assert answer["rows"][0]["medians"]["response_minutes"] is not None
    assert set(ids) and answer["period"] == {"from": "2026-11-02", "to": "2026-11-03"}


def test_every_area_level_and_the_team_count_the_same_cohort(session, world):
    scenario(session, world)
    grid, _ = kpis(session, ScopeKind.GRID, world["grid"])
    for scope, code in (
        (ScopeKind.COMMUNITY, world["grid"][:12]),
        (ScopeKind.TOWNSHIP, world["township"]),
        (ScopeKind.COUNTY, "320102"),
        (ScopeKind.TEAM, world["team"]),
    ):
        other, _ = kpis(session, scope, code)
        assert other["accepted"] == grid["accepted"], scope
        assert other["closure_rate"] == grid["closure_rate"], scope
    member, _ = kpis(
        session,
        ScopeKind.MEMBER,
        session.execute(text("SELECT member_code FROM users WHERE username = 'demo-grid'")).scalar_one(),
    )
    assert member["on_time_handling_rate"]["numerator"] == 2  # the member who handled


def test_a_month_and_the_day_agree_and_a_past_period_counts_closures_before_its_end(session, world):
    scenario(session, world)
    day, _ = kpis(session, ScopeKind.TOWNSHIP, world["township"])
    month, _ = kpis(session, ScopeKind.TOWNSHIP, world["township"], Period(date(2026, 11, 1), date(2026, 12, 1)))
    assert {k: v for k, v in day.items() if "closure" not in k} == {
        k: v for k, v in month.items() if "closure" not in k
    }
    assert (day["closure_rate"]["numerator"], month["closure_rate"]["numerator"]) == (2, 3)
    # an event accepted on the last day of October and closed in November: not closed by the end of October
    late_close = report(session, world, datetime(2026, 10, 31, 8, 0, tzinfo=timezone.utc))
    handle(
        session,
        late_close,
        datetime(2026, 10, 31, 8, 5, tzinfo=timezone.utc),
        datetime(2026, 10, 31, 9, 0, tzinfo=timezone.utc),
    )
    close(session, late_close, datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc))
    october, _ = kpis(session, ScopeKind.GRID, world["grid"], Period(date(2026, 10, 1), date(2026, 11, 1)))
    autumn, _ = kpis(session, ScopeKind.GRID, world["grid"], Period(date(2026, 10, 1), date(2026, 12, 1)))
    assert october["closure_rate"]["numerator"] == 0 and october["accepted"]["value"] == 1
    assert autumn["closure_rate"]["numerator"] == 4 and autumn["accepted"]["value"] == 5


def test_comparisons_name_the_previous_period_and_the_year_before(session, world):
    scenario(session, world)
    _, answer = kpis(session, ScopeKind.TOWNSHIP, world["township"])
    assert answer["previous_period"] == {"from": "2026-11-01", "to": "2026-11-02"}
    assert answer["year_before_period"] == {"from": "2025-11-02", "to": "2025-11-03"}
    assert answer["rows"][0]["previous"]["accepted"]["value"] == 0


def test_a_township_sees_its_own_and_not_the_county(session, world):
    scenario(session, world)
    own = Area("township_code", world["township"])
    k, answer = kpis(session, ScopeKind.GRID, world["grid"], area=own)
    assert k["accepted"]["value"] == 4
    other = session.execute(
        text("SELECT code FROM grids WHERE left(code, 9) <> :t LIMIT 1"), {"t": world["township"]}
    ).scalar_one()
    with pytest.raises(NotFound):
        evaluate(session, own, ScopeKind.GRID, DAY, code=other)
    with pytest.raises(ValidationFailed):
        evaluate(session, own, ScopeKind.COUNTY, DAY)


def test_drill_lists_the_events_behind_a_numerator_and_a_denominator(session, world):
    ids = scenario(session, world)
    fold(session)
    num = drill(session, COUNTY, "closure_rate", "numerator", ScopeKind.GRID, world["grid"], DAY)
    den = drill(session, COUNTY, "closure_rate", "denominator", ScopeKind.GRID, world["grid"], DAY)
    assert {i["id"] for i in num["items"]} == {ids["on_time"], ids["reworked"]}
    assert {i["id"] for i in den["items"]} == {ids["on_time"], ids["late"], ids["reworked"], ids["returned"]}
    returned = drill(session, COUNTY, "accurate_dispatch_rate", "denominator", ScopeKind.TEAM, world["team"], DAY)
    assert returned["total"] == 4
    reported = drill(session, COUNTY, "reported", "numerator", ScopeKind.GRID, world["grid"], DAY, limit=2)
    assert reported["total"] == 5 and len(reported["items"]) == 2
    with pytest.raises(ValidationFailed):
        drill(session, COUNTY, "reported", "denominator", ScopeKind.GRID, world["grid"], DAY)


def test_rebuild_gives_what_the_incremental_folds_gave(session, world):
    scenario(session, world)
    fold(session)
    codes = [world["township"]]
    before = measures(session, COUNTY, ScopeKind.TOWNSHIP, codes, DAY, T0 + timedelta(days=3))
    rebuild(session)
    assert measures(session, COUNTY, ScopeKind.TOWNSHIP, codes, DAY, T0 + timedelta(days=3)) == before


# --------------------------------------------------------------------------- roll-ups against a from-scratch count


START = datetime(2026, 10, 30, 1, 0, tzinfo=timezone.utc)  # a Friday: the steps cross a weekend and a month
RECEIVER = ("acknowledge", "arrive", "handle", "return", "request_extension", "request_support")
CENTER = (
    "accept",
    "void",
    "dispatch",
    "verify",
    "close",
    "send_back",
    "park",
    "restore",
    "approve_extension",
    "refuse_extension",
    "escalate",
)
STEP = st.tuples(
    st.integers(0, 3), st.sampled_from(RECEIVER + CENTER + ("supervise", "rate")), st.integers(0, 2 * 24 * 60)
)


def _local(at: datetime | None) -> date | None:
    return at.astimezone(TZ).date() if at else None


def from_scratch(s: Session, scope: ScopeKind, period: Period, asof: datetime) -> dict[str, dict]:
    """The measures of every unit of a scope, counted directly from events, tasks, log and supervision records."""
    log = s.execute(text("SELECT event_id, action, min(at) AS at FROM event_log GROUP BY 1, 2")).all()
    first = {(r.event_id, r.action): r.at for r in log}
    sup = dict(s.execute(text("SELECT event_id, count(*) FROM supervisions GROUP BY 1")).all())
    overdue = set(s.execute(text("SELECT task_id FROM supervisions WHERE state = 'overdue'")).scalars())
    team_of = dict(
        s.execute(
            text("SELECT 'user:' || u.username, m.team_code FROM users u JOIN members m ON m.code = u.member_code")
        ).all()
    )
    tasks: dict[int, list] = {}
    for t in s.execute(text("SELECT * FROM event_tasks")).mappings():
        tasks.setdefault(t["event_id"], []).append(t)
    out: dict[str, dict] = {}
    for e in s.execute(text("SELECT * FROM events")).mappings():
        _count_event(out, scope, period, asof, e, tasks.get(e["id"], []), first, sup, overdue, team_of)
    return out


def _holders(scope: ScopeKind, e, tasks) -> dict[str, list]:
    if scope in (ScopeKind.COUNTY, ScopeKind.TOWNSHIP, ScopeKind.COMMUNITY, ScopeKind.GRID):
        return {e[f"{scope}_code"]: tasks}
    held: dict[str, list] = {}
    for t in tasks:
        if scope == ScopeKind.MEMBER:
            code = t["member_code"] or t["handled_by"]
        else:
            code = t["team_code"] if scope == ScopeKind.TEAM else t["department_code"]
        if code:
            held.setdefault(code, []).append(t)
    return held


def _count_event(out, scope, period, asof, e, tasks, first, sup, overdue, team_of) -> None:
    accepted = (
        None if e["status"] in ("reported", "voided") else _local(first.get((e["id"], "accept")) or e["created_at"])
    )
    handled = [t for t in tasks if t["kind"] == "handle" and t["status"] == "handled"]
    closed = e["status"] == "closed" and _local(e["closed_at"]) < period.end
    on_time = closed and all(t["handled_on_time"] for t in handled)
    reporter_team = team_of.get(e["submitted_by"])
    for code, mine in _holders(scope, e, tasks).items():
        m = out.setdefault(code, dict.fromkeys((*MEASURES, *AS_OF_MEASURES), 0))
        if period.start <= _local(e["created_at"]) < period.end:
            m["reported"] += 1
        if accepted is None or not period.start <= accepted < period.end:
            continue
        flags = {
            "accepted": True,
            "closed": closed,
            "closed_on_time": on_time,
            "handled_once": (e["id"], "handle") in first,
            "reworked": e["rework"] > 0,
            "extended": (e["id"], "approve_extension") in first,
            "rated": e["rating"] is not None,
            "satisfied": e["rating"] in ("satisfied", "basically_satisfied"),
            "patrol": e["channel"] == "patrol",
            "self_handled": e["channel"] == "patrol" and any(t["team_code"] == reporter_team for t in handled),
            "repeats": e["repeat_of"] is not None,
        }
        for name, flag in flags.items():
            m[name] += int(bool(flag))
        m["supervisions"] += sup.get(e["id"], 0)
        for t in mine:
            _count_task(m, t, overdue, asof)
        m["closed_by_to"], m["closed_on_time_by_to"] = m["closed"], m["closed_on_time"]


def _count_task(m: dict, t, overdue: set, asof: datetime) -> None:
    handle, handled = t["kind"] == "handle", t["kind"] == "handle" and t["status"] == "handled"
    m["tasks_dispatched"] += 1
    m["tasks_responded_on_time"] += bool(t["acknowledged_on_time"])
    m["tasks_returned"] += t["status"] == "returned"
    m["handle_tasks"] += handle and t["status"] != "returned"
    m["handle_handled"] += handled
    m["handle_on_time"] += handled and bool(t["handled_on_time"])
    m["tasks_overdue"] += t["id"] in overdue
    opened = handle and t["status"] not in ("handled", "returned") and t["open_due"] is not None
    m["handle_due"] += handled or (opened and t["open_due"] < asof)
    if t["acknowledged_at"] is not None and t["response_work_minutes"] is not None:
        m["response_n"] += 1
        m["response_minutes"] += t["response_work_minutes"]
    if handled and t["handling_work_minutes"] is not None:
        m["handling_n"] += 1
        m["handling_minutes"] += t["handling_work_minutes"]


def _play(s: Session, world: dict, steps) -> datetime:
    """Four reports (one from the citizens' app, awaiting acceptance) and the steps, each tried as it comes."""
    ids = [
        report(s, world, START),
        report(s, world, START),
        report(s, world, START, by=APP, channel="public"),
        report(s, world, START + timedelta(hours=30)),
    ]
    now = START + timedelta(hours=30)
    for index, action, minutes in steps:
        now += timedelta(minutes=minutes)
        _try(s, ids[index], action, now)
    return now


def _try(s: Session, event_id: int, action: str, now: datetime) -> None:
    fields = {"until": (now + timedelta(days=5)).isoformat()} if action == "request_extension" else {}
    fields = {"members": 1} if action == "request_support" else fields
    if action == "supervise":
        return run_pass(s, KEY, now=now, policy=Policy(escalate_overdue=True))
    who = ("demo-grid",) if action in RECEIVER else ("demo-township", "demo-county")
    for username in who:
        try:
            with s.begin_nested():  # a refused step leaves nothing behind
                if action == "rate":
                    return rate(s, KEY, tracking_token(KEY, event_id), "dissatisfied", None, client_addr=None, now=now)
                return act(s, username, event_id, action, now, **fields)
        except AppError:
            continue


@pytest.fixture(scope="module")
def example_db(clone_db):
    from gisapp.db import make_engine

    engine = make_engine(clone_db(), pool_size=1)
    yield engine
    engine.dispose()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=25))
def test_rollups_equal_a_count_from_scratch_after_random_steps(example_db, steps):
    with example_db.connect() as conn:
        outer = conn.begin()
        s = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            end = _play(s, _world(s), steps)
            fold(s)
            for scope in ScopeKind:
                for period in (
                    Period(date(2026, 10, 30), date(2026, 11, 1)),
                    Period(date(2026, 10, 1), date(2026, 12, 1)),
                    Period(date(2026, 10, 31), date(2026, 11, 4)),
                    Period(date(2026, 1, 1), date(2027, 1, 1)),
                ):
                    area = Area("county_code", "320102")
                    expected = from_scratch(
                        s, scope, period, min(end, datetime.combine(period.end, datetime.min.time(), tzinfo=TZ))
                    )
                    codes = sorted(expected)
                    got = measures(s, area, scope, codes, period, end)
                    for code in codes:
                        for name in expected[code]:
                            assert got[code][name] == pytest.approx(expected[code][name]), (scope, period, code, name)
        finally:
            s.close()
            outer.rollback()
