"""The supervision pass on real PostGIS with a frozen clock: records, log, audit, escalation, SKIP LOCKED."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from gisapp.db import make_engine, make_session_factory
from gisapp.domain.intake import parse_event_report
from gisapp.domain.supervision import Policy
from gisapp.services.access.audit import Actor, verify
from gisapp.services.events.intake import Submitter, submit_event
from gisapp.services.events.supervision import run_pass
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
        code, resp, hand = s.execute(
            text(
                "SELECT code, response_minutes, handling_minutes FROM categories WHERE level = 1 ORDER BY code LIMIT 1"
            )
        ).one()
        lon, lat = s.execute(
            text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids ORDER BY code LIMIT 1) g")
        ).one()
        report = parse_event_report(
            {"category": code, "channel": "patrol", "location": {"type": "Point", "coordinates": [lon, lat]}}
        )
        event = submit_event(s, report, by=BY, audit_key=TEST_AUDIT_KEY, now=T0).event
        s.commit()
    return event["id"], resp, hand


def test_warned_then_overdue_each_once_with_record_log_and_audit(db):
    event_id, resp, hand = new_event(db)
    with db() as s:
        assert run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=resp * 0.9)).warned == 1
        assert run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=resp * 0.95)).warned == 0  # once
        assert run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=resp + 1)).overdue == 1
        rows = s.execute(
            text("SELECT state, time_limit FROM supervisions WHERE event_id = :e ORDER BY id"), {"e": event_id}
        ).all()
        assert [tuple(r) for r in rows] == [("warned", "response"), ("overdue", "response")]
        log = s.execute(
            text("SELECT action, actor FROM event_log WHERE event_id = :e AND action = 'supervise'"), {"e": event_id}
        ).all()
        assert len(log) == 2 and log[0].actor == "supervisor"
        assert (
            s.execute(text("SELECT supervision FROM event_tasks WHERE event_id = :e"), {"e": event_id}).scalar_one()
            == "overdue"
        )
        assert verify(s, TEST_AUDIT_KEY).ok


def test_the_policy_escalates_an_overdue_level_one_event(db):
    event_id, resp, hand = new_event(db)
    with db() as s:
        result = run_pass(s, TEST_AUDIT_KEY, now=T0 + timedelta(minutes=hand + 1), policy=Policy(escalate_overdue=True))
        assert event_id in result.escalated
        level, status, center = s.execute(
            text("SELECT level, status, center_code FROM events WHERE id = :e"), {"e": event_id}
        ).one()
        assert (level, status, center) == (2, "accepted", "320102-C")
        assert (
            s.execute(
                text("SELECT escalated FROM supervisions WHERE event_id = :e AND state = 'overdue'"), {"e": event_id}
            ).scalar_one()
            is True
        )


def test_a_parked_event_is_not_supervised_and_its_pause_counts(db):
    event_id, resp, hand = new_event(db)
    with db() as s:
        s.execute(
            text(
                "UPDATE event_tasks SET arrived_at = :t, acknowledged_at = :t, status = 'on_scene' WHERE event_id = :e"
            ),
            {"t": T0 + timedelta(minutes=1), "e": event_id},
        )
        for action, minutes in (("park", 10), ("restore", 10 + hand)):
            s.execute(
                text("INSERT INTO event_log (event_id, at, actor, action) VALUES (:e, :at, 't', :a)"),
                {"e": event_id, "at": T0 + timedelta(minutes=minutes), "a": action},
            )
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

    from gisapp.services.jurisdiction.worktime import load_calendar

    cst = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 9, 30, 9, 0, tzinfo=cst)
    with db() as s:
        s.execute(
            text(
                "INSERT INTO categories (code, name, name_en, kind_code, department_code, priority, "
                "response_minutes, handling_minutes, level, handling_unit, handling_amount) "
                "VALUES ('urban.one_work_day', '一个工作日', 'one working day', 'urban', 'urban_management', "
                "'normal', 30, 60, 1, 'work_days', 1)"
            )
        )
        lon, lat = s.execute(
            text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids ORDER BY code LIMIT 1) g")
        ).one()
        report = parse_event_report(
            {
                "category": "urban.one_work_day",
                "channel": "patrol",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
        event_id = submit_event(s, report, by=BY, audit_key=TEST_AUDIT_KEY, now=start).event["id"]
        handle_by = s.execute(
            text("SELECT handle_by FROM event_tasks WHERE event_id = :e"), {"e": event_id}
        ).scalar_one()
        expected = load_calendar(s).add(start, 1, "work_days")
        assert handle_by == expected and handle_by.astimezone(cst).date() == datetime(2026, 10, 8).date()
        s.execute(
            text(
                "UPDATE event_tasks SET acknowledged_at = :t, arrived_at = :t, status = 'on_scene' WHERE event_id = :e"
            ),
            {"t": start + timedelta(minutes=20), "e": event_id},
        )
        s.commit()
        assert run_pass(s, TEST_AUDIT_KEY, now=datetime(2026, 10, 5, 9, 0, tzinfo=cst)).overdue == 0
        assert run_pass(s, TEST_AUDIT_KEY, now=handle_by + timedelta(minutes=1)).overdue == 1


# --- the clock through the life cycle: extensions and parks taken as steps, then supervised ----------------


def _account(s, username: str):
    from gisapp.services.access.accounts import account_columns, account_from_row

    return account_from_row(
        s.execute(text(f"SELECT {account_columns('u')} FROM users u WHERE u.username = :u"), {"u": username}).one()
    )


def act(s, username: str, event_id: int, action: str, at: datetime, **fields) -> None:
    """One life-cycle step by a demo account at a given time (demo-grid: the team; demo-township: its center)."""
    from gisapp.domain.lifecycle import parse_step
    from gisapp.domain.permissions import event_scope
    from gisapp.services.events.lifecycle import perform

    acc = _account(s, username)
    perform(
        s,
        TEST_AUDIT_KEY,
        acc,
        Actor(username, str(acc.role), None),
        event_id,
        parse_step({"action": action, **fields}),
        event_scope(str(acc.role), acc.bound_to, f"user:{username}"),
        now=at,
    )
    s.commit()


def on_scene_in_demo_grid(s, category: str, at: datetime) -> tuple[int, datetime]:
    """An event of the category in demo-grid's grid reported at `at`, its team on scene five minutes later:
    (event id, its task's handling deadline)."""
    lon, lat = s.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(g.geom) AS p FROM grids g "
            "JOIN users u ON u.grid_code = g.code WHERE u.username = 'demo-grid') x"
        )
    ).one()
    report = parse_event_report(
        {"category": category, "channel": "patrol", "location": {"type": "Point", "coordinates": [lon, lat]}}
    )
    event_id = submit_event(s, report, by=BY, audit_key=TEST_AUDIT_KEY, now=at).event["id"]
    s.commit()
    act(s, "demo-grid", event_id, "acknowledge", at + timedelta(minutes=2))
    act(s, "demo-grid", event_id, "arrive", at + timedelta(minutes=5))
    return event_id, s.execute(
        text("SELECT handle_by FROM event_tasks WHERE event_id = :e"), {"e": event_id}
    ).scalar_one()


def supervision_of(s, event_id: int) -> tuple[str, datetime | None]:
    """The task's supervision state and the due of its latest supervision record."""
    return s.execute(
        text(
            "SELECT t.supervision, (SELECT due FROM supervisions v WHERE v.task_id = t.id "
            "ORDER BY v.id DESC LIMIT 1) "
            "FROM event_tasks t WHERE t.event_id = :e"
        ),
        {"e": event_id},
    ).one()


def level_one_category(s) -> str:
    return s.execute(
        text("SELECT code FROM categories WHERE level = 1 AND handling_unit = 'minutes' ORDER BY code LIMIT 1")
    ).scalar_one()


def test_an_extension_waited_a_day_is_due_at_the_approved_time(db):
    """Asked two hours in for 20 hours past the deadline, approved a day later: frozen while it waits, then due
    exactly at the approved time (the day's wait is not added on top)."""
    with db() as s:
        event_id, handle_by = on_scene_in_demo_grid(s, level_one_category(s), T0)
        until = handle_by + timedelta(hours=20)
        asked = T0 + timedelta(hours=2)
        act(s, "demo-grid", event_id, "request_extension", asked, until=until.isoformat())
        assert run_pass(s, TEST_AUDIT_KEY, now=handle_by + timedelta(hours=1)).overdue == 0  # the center decides
        act(s, "demo-township", event_id, "approve_extension", asked + timedelta(hours=24))
        assert run_pass(s, TEST_AUDIT_KEY, now=until - timedelta(minutes=1)).overdue == 0
        assert run_pass(s, TEST_AUDIT_KEY, now=until + timedelta(minutes=1)).overdue == 1
        assert supervision_of(s, event_id) == ("overdue", until)


def test_a_task_handled_by_its_approved_time_was_on_time_and_after_a_refusal_was_not(db):
    """The step's judgement (kept for the evaluation) reads the same clock: an approved extension counts, a
    refused one buys nothing."""
    with db() as s:
        category = level_one_category(s)
        for decision, on_time in (("approve_extension", True), ("refuse_extension", False)):
            event_id, handle_by = on_scene_in_demo_grid(s, category, T0)
            act(
                s,
                "demo-grid",
                event_id,
                "request_extension",
                handle_by - timedelta(hours=1),
                until=(handle_by + timedelta(hours=6)).isoformat(),
            )
            act(s, "demo-township", event_id, decision, handle_by + timedelta(hours=1))
            act(s, "demo-grid", event_id, "handle", handle_by + timedelta(hours=5))
            assert (
                s.execute(
                    text("SELECT handled_on_time FROM event_tasks WHERE event_id = :e"), {"e": event_id}
                ).scalar_one()
                is on_time
            ), decision


def test_a_refused_extension_buys_no_time(db):
    with db() as s:
        event_id, handle_by = on_scene_in_demo_grid(s, level_one_category(s), T0)
        act(
            s,
            "demo-grid",
            event_id,
            "request_extension",
            handle_by - timedelta(minutes=30),
            until=(handle_by + timedelta(hours=5)).isoformat(),
        )
        assert run_pass(s, TEST_AUDIT_KEY, now=handle_by + timedelta(hours=2)).overdue == 0  # still waiting
        act(s, "demo-township", event_id, "refuse_extension", handle_by + timedelta(hours=3))
        assert run_pass(s, TEST_AUDIT_KEY, now=handle_by + timedelta(hours=3, minutes=1)).overdue == 1
        assert supervision_of(s, event_id) == ("overdue", handle_by)


def test_an_extension_must_ask_for_more_than_the_deadline_as_it_stands(db):
    from gisapp.errors import ValidationFailed

    with db() as s:
        event_id, handle_by = on_scene_in_demo_grid(s, level_one_category(s), T0)
        with pytest.raises(ValidationFailed) as refused:
            act(
                s,
                "demo-grid",
                event_id,
                "request_extension",
                T0 + timedelta(minutes=10),
                until=(handle_by - timedelta(minutes=1)).isoformat(),
            )
        assert refused.value.code == "invalid_until" and "handling deadline is already" in refused.value.message
        s.rollback()
        act(s, "demo-township", event_id, "park", T0 + timedelta(minutes=20))  # an hour parked: the deadline
        act(s, "demo-township", event_id, "restore", T0 + timedelta(minutes=80))  # is an hour later now
        with pytest.raises(ValidationFailed):
            act(
                s,
                "demo-grid",
                event_id,
                "request_extension",
                T0 + timedelta(minutes=90),
                until=(handle_by + timedelta(minutes=30)).isoformat(),
            )


def test_four_working_hours_parked_over_the_weekend_are_due_monday_late_morning(db):
    """Dispatched Friday 15:00 with four working hours, parked from 16:00 to Monday 08:00: one working hour
    used, the weekend not working time, so due Monday 11:30 (not Thursday, as the wall-clock count had it)."""
    from zoneinfo import ZoneInfo

    cst = ZoneInfo("Asia/Shanghai")
    friday = datetime(2026, 3, 6, 15, 0, tzinfo=cst)
    due = datetime(2026, 3, 9, 11, 30, tzinfo=cst)
    with db() as s:
        s.execute(
            text(
                "INSERT INTO categories (code, name, name_en, kind_code, department_code, priority, "
                "response_minutes, handling_minutes, level, handling_unit, handling_amount) "
                "VALUES ('urban.four_work_hours', '四个工作小时', 'four working hours', 'urban', "
                "'urban_management', 'normal', 30, 60, 1, 'work_hours', 4)"
            )
        )
        event_id, handle_by = on_scene_in_demo_grid(s, "urban.four_work_hours", friday)
        assert handle_by == datetime(2026, 3, 9, 10, 0, tzinfo=cst)
        act(s, "demo-township", event_id, "park", friday + timedelta(hours=1))
        act(s, "demo-township", event_id, "restore", datetime(2026, 3, 9, 8, 0, tzinfo=cst))
        assert run_pass(s, TEST_AUDIT_KEY, now=datetime(2026, 3, 9, 11, 0, tzinfo=cst)).warned == 1  # 3.5 of 4 h
        assert run_pass(s, TEST_AUDIT_KEY, now=due - timedelta(minutes=1)).overdue == 0
        assert run_pass(s, TEST_AUDIT_KEY, now=due + timedelta(minutes=1)).overdue == 1
        assert supervision_of(s, event_id) == ("overdue", due)
