"""The supervision pass on real PostGIS with a frozen clock: records, log, audit, escalation, SKIP LOCKED."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.db import make_engine, make_session_factory
from gisapp.domain.intake import parse_event_report
from gisapp.domain.supervision import Policy
from gisapp.services.audit import Actor, verify
from gisapp.services.intake import Submitter, submit_event
from gisapp.services.supervision import run_pass
from tests.support import TEST_AUDIT_KEY

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
BY = Submitter("user:demo-county", Actor("demo-county", "county_commander", None), "320102")


@pytest.fixture()
def db(clone_db):
    """A database of its own: the pass commits."""
    engine = make_engine(clone_db(), pool_size=3)
    yield make_session_factory(engine)
    engine.dispose()


def new_event(sessions) -> tuple[int, int, int]:
    """A level-1 event dispatched at T0: (event id, response minutes, handling minutes)."""
    with sessions() as s:
        code, resp, hand = s.execute(text("SELECT code, response_minutes, handling_minutes FROM categories "
                                          "WHERE level = 1 ORDER BY code LIMIT 1")).one()
        lon, lat = s.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                                  "ORDER BY code LIMIT 1) g")).one()
        report = parse_event_report({"category": code, "channel": "patrol",
                                     "location": {"type": "Point", "coordinates": [lon, lat]}})
        event = submit_event(s, report, by=BY, audit_key=TEST_AUDIT_KEY, now=T0).event
        s.commit()
    return event["id"], resp, hand


def test_warned_then_overdue_each_once_with_record_log_and_audit(db):
    event_id, resp, hand = new_event(db)
    with db() as s:
        assert run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=resp * 0.9)).warned == 1
        assert run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=resp * 0.95)).warned == 0  # once
        assert run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=resp + 1)).overdue == 1
        rows = s.execute(text("SELECT state, time_limit FROM supervisions WHERE event_id = :e ORDER BY id"),
                         {"e": event_id}).all()
        assert [tuple(r) for r in rows] == [("warned", "response"), ("overdue", "response")]
        log = s.execute(text("SELECT action, actor FROM event_log WHERE event_id = :e AND action = 'supervise'"),
                        {"e": event_id}).all()
        assert len(log) == 2 and log[0].actor == "supervisor"
        assert s.execute(text("SELECT supervision FROM event_tasks WHERE event_id = :e"),
                         {"e": event_id}).scalar_one() == "overdue"
        assert verify(s, TEST_AUDIT_KEY).ok


def test_the_policy_escalates_an_overdue_level_one_event(db):
    event_id, resp, hand = new_event(db)
    with db() as s:
        result = run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=hand + 1), policy=Policy(escalate_overdue=True))
        assert event_id in result.escalated
        level, status, center = s.execute(text("SELECT level, status, center_code FROM events WHERE id = :e"),
                                          {"e": event_id}).one()
        assert (level, status, center) == (2, "accepted", "320102-C")
        assert s.execute(text("SELECT escalated FROM supervisions WHERE event_id = :e AND state = 'overdue'"),
                         {"e": event_id}).scalar_one() is True


def test_a_parked_event_is_not_supervised_and_its_pause_counts(db):
    event_id, resp, hand = new_event(db)
    with db() as s:
        s.execute(text("UPDATE event_tasks SET arrived_at = :t, acknowledged_at = :t, status = 'on_scene' "
                       "WHERE event_id = :e"), {"t": T0 + timedelta(minutes=1), "e": event_id})
        for action, minutes in (("park", 10), ("restore", 10 + hand)):
            s.execute(text("INSERT INTO event_log (event_id, at, actor, action) VALUES (:e, :at, 't', :a)"),
                      {"e": event_id, "at": T0 + timedelta(minutes=minutes), "a": action})
        s.commit()
        # past the handling limit by the clock, but the case was parked for `hand` minutes of it
        assert run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=hand + 5)).overdue == 0


def test_concurrent_workers_skip_the_tasks_another_holds(db):
    event_id, resp, hand = new_event(db)
    holder, worker = db(), db()
    try:
        holder.execute(text("SELECT 1 FROM event_tasks WHERE event_id = :e FOR UPDATE"), {"e": event_id})
        result = run_pass(worker, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=hand + 1))
        assert result.checked == 0  # not blocked, not double-counted: skipped
    finally:
        holder.rollback()
        holder.close()
        worker.close()
    with db() as s:
        assert run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=hand + 1)).overdue == 1


def test_a_handling_limit_in_working_days_waits_out_national_day(db):
    """Dispatched on 30 September 2026 with one working day to handle: the holiday (1-7 October) does not count,
    so supervision on the frozen clock finds the task on time on 5 October and overdue only after the holiday."""
    from zoneinfo import ZoneInfo

    from gisapp.services.worktime import load_calendar

    cst = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 9, 30, 9, 0, tzinfo=cst)
    with db() as s:
        s.execute(text("INSERT INTO categories (code, name, name_en, kind_code, department_code, priority, "
                       "response_minutes, handling_minutes, level, handling_unit, handling_amount) "
                       "VALUES ('urban.one_work_day', '一个工作日', 'one working day', 'urban', 'urban_management', "
                       "'normal', 30, 60, 1, 'work_days', 1)"))
        lon, lat = s.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                                  "ORDER BY code LIMIT 1) g")).one()
        report = parse_event_report({"category": "urban.one_work_day", "channel": "patrol",
                                     "location": {"type": "Point", "coordinates": [lon, lat]}})
        event_id = submit_event(s, report, by=BY, audit_key=TEST_AUDIT_KEY, now=start).event["id"]
        handle_by = s.execute(text("SELECT handle_by FROM event_tasks WHERE event_id = :e"), {"e": event_id}).scalar_one()
        expected = load_calendar(s).add(start, 1, "work_days")
        assert handle_by == expected and handle_by.astimezone(cst).date() == datetime(2026, 10, 8).date()
        s.execute(text("UPDATE event_tasks SET acknowledged_at = :t, arrived_at = :t, status = 'on_scene' "
                       "WHERE event_id = :e"), {"t": start + timedelta(minutes=20), "e": event_id})
        s.commit()
        assert run_pass(s, TEST_AUDIT_KEY, now=datetime(2026, 10, 5, 9, 0, tzinfo=cst)).overdue == 0
        assert run_pass(s, TEST_AUDIT_KEY, now=handle_by + timedelta(minutes=1)).overdue == 1
