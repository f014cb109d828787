"""The supervision pass (督办, clause 6.2.4): open tasks against their limits, as of a given moment.

Several workers may run at once: each batch of open tasks is claimed with FOR UPDATE SKIP LOCKED
and committed before the next. A task that reaches a worse state gets a supervision record that
its center sees, an entry in the event's log and an audit record; where the policy says so, a
level-1 event overdue on handling is escalated to the county center through the life cycle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.lifecycle import Action, Step
from gisapp.domain.permissions import Scope
from gisapp.domain.supervision import RANK, Clock, Due, Finding, Policy, State, assess, effective_due, escalates
from gisapp.domain.worktime import WorkCalendar
from gisapp.services.access.audit import Actor, record
from gisapp.services.events.notify import announce
from gisapp.services.jurisdiction.worktime import current_calendar

SUPERVISOR = Actor("supervisor", "system", "local")
TASK_CLOCK = """
SELECT t.id, t.event_id, t.kind, t.team_code, t.department_code, t.dispatched_at, t.acknowledged_at, t.arrived_at,
       t.respond_by, t.handle_by, t.extension_approved_at, t.extension_pending, t.supervision, c.handling_unit,
       e.level, e.center_code, e.county_code, e.township_code, e.status AS event_status
FROM event_tasks t JOIN events e ON e.id = t.event_id JOIN categories c ON c.code = e.category_code
"""
OPEN_TASKS = text(
    TASK_CLOCK
    + """
WHERE t.status IN ('dispatched', 'acknowledged', 'on_scene') AND e.status <> 'parked'
  AND t.dispatched_at <= :now AND t.id > :after
ORDER BY t.id LIMIT :batch
FOR UPDATE OF t SKIP LOCKED
"""
)
ONE_TASK = text(TASK_CLOCK + "WHERE t.id = :id")
PAUSE_LOG = text("""
SELECT event_id, task_id, action, at FROM event_log
WHERE event_id = ANY(:ids) AND at <= :now
  AND action IN ('park', 'restore', 'request_extension', 'approve_extension', 'refuse_extension',
                 'acknowledge', 'arrive', 'handle', 'return', 'escalate', 'close')
ORDER BY at, id
""")
# the center decides every request of the event waiting then; an escalation or closure cancels their tasks
DECIDES = {"approve_extension", "refuse_extension", "escalate", "close"}
LAPSES = {"acknowledge", "arrive", "handle", "return"}  # the task moved on: its request can no longer be decided


@dataclass
class PassResult:
    checked: int = 0
    warned: int = 0
    overdue: int = 0
    escalated: list[int] = field(default_factory=list)


def pauses_by_task(session: Session, event_ids: list[int], now: datetime) -> dict:
    """{(event_id, None): the event's parks, (event_id, task_id): the task's extension requests}, each a list of
    (from, to or None) from the log up to now; a request ends when decided or when its task moves on."""
    out: dict = {}
    open_: dict = {}

    def close(key, at):
        if key in open_:
            out.setdefault(key, []).append((open_.pop(key), at))

    for row in session.execute(PAUSE_LOG, {"ids": event_ids, "now": now}):
        if row.action in ("park", "request_extension"):
            open_.setdefault((row.event_id, None if row.action == "park" else row.task_id), row.at)
        elif row.action == "restore":
            close((row.event_id, None), row.at)
        elif row.action in DECIDES:
            for key in [k for k in open_ if k[0] == row.event_id and k[1] is not None]:
                close(key, row.at)
        elif row.action in LAPSES:
            close((row.event_id, row.task_id), row.at)
    for key, start in open_.items():
        out.setdefault(key, []).append((start, None))
    return out


def _clock(row, pauses: dict) -> Clock:
    return Clock(
        "team" if row.team_code else "department",
        row.dispatched_at,
        row.respond_by,
        row.handle_by,
        row.acknowledged_at,
        row.arrived_at,
        tuple(pauses.get((row.event_id, None), [])),
        row.handling_unit,
        row.extension_approved_at,
        tuple(pauses.get((row.event_id, row.id), [])),
    )


def _calendar_for(session: Session, rows) -> WorkCalendar | None:
    """The county's calendar when some task counts working time (cached a minute per process)."""
    return current_calendar(session) if any(r.handling_unit != "minutes" for r in rows) else None


def task_due(session: Session, task_id: int, now: datetime) -> Due:
    """Where one task's limits stand at now (effective_due with its log and the county's calendar)."""
    row = session.execute(ONE_TASK, {"id": task_id}).one()
    clock = _clock(row, pauses_by_task(session, [row.event_id], now))
    return effective_due(clock, now, _calendar_for(session, [row]))


def _note(session: Session, key: bytes, row, finding: Finding, now: datetime, escalated: bool) -> None:
    session.execute(
        text("UPDATE event_tasks SET supervision = :s WHERE id = :id"), {"s": str(finding.state), "id": row.id}
    )
    session.execute(
        text(
            "INSERT INTO supervisions (event_id, task_id, at, state, time_limit, due, center_code, county_code, "
            "township_code, escalated) VALUES (:e, :t, :at, :s, :l, :due, :c, :k, :tw, :esc) "
            "ON CONFLICT (task_id, time_limit, state) DO NOTHING"
        ),
        {
            "e": row.event_id,
            "t": row.id,
            "at": now,
            "s": str(finding.state),
            "l": finding.time_limit,
            "due": finding.due,
            "c": row.center_code,
            "k": row.county_code,
            "tw": row.township_code,
            "esc": escalated,
        },
    )
    details = {"state": str(finding.state), "limit": finding.time_limit, "due": finding.due.isoformat()}
    session.execute(
        text(
            "INSERT INTO event_log (event_id, at, actor, action, note, task_id, details) "
            "VALUES (:e, :at, 'supervisor', 'supervise', :note, :t, CAST(:d AS jsonb))"
        ),
        {
            "e": row.event_id,
            "at": now,
            "t": row.id,
            "d": json.dumps(details),
            "note": f"{finding.time_limit} limit {'passed' if finding.state == State.OVERDUE else 'nearly used'}",
        },
    )
    record(
        session,
        key,
        SUPERVISOR,
        "event.supervise",
        target=f"event:{row.event_id}",
        details={**details, "task": row.id},
        at=now,
    )
    announce(
        session,
        row.event_id,
        "supervise",
        {f"team:{row.team_code}" if row.team_code else f"department:{row.department_code}"},
        at=now,
    )


def _escalate(session: Session, key: bytes, row, now: datetime) -> None:
    """The county center's authority, exercised by the policy: the same life-cycle step a commander takes."""
    from gisapp.services.events.lifecycle import act_as_center

    act_as_center(
        session,
        key,
        row.county_code,
        SUPERVISOR,
        row.event_id,
        Step(Action.ESCALATE, note="handling limit passed: escalated by the supervision policy"),
        now,
    )


def run_pass(session: Session, key: bytes, *, now: datetime, policy: Policy = Policy(), batch: int = 500) -> PassResult:
    """One pass over the open tasks as of now; commits each batch."""
    result, after = PassResult(), 0
    while True:
        rows = session.execute(OPEN_TASKS, {"now": now, "after": after, "batch": batch}).all()
        if not rows:
            session.commit()
            return result
        pauses = pauses_by_task(session, sorted({r.event_id for r in rows}), now)
        calendar = _calendar_for(session, rows)
        escalated_now: set[int] = set()
        for row in rows:
            result.checked += 1
            finding = assess(_clock(row, pauses), now, policy, calendar)
            if RANK[finding.state] <= RANK[State(row.supervision)] or row.event_id in escalated_now:
                continue
            escalate = escalates(finding, level=row.level, kind=row.kind, policy=policy)
            _note(session, key, row, finding, now, escalate)
            result.warned += finding.state == State.WARNED
            result.overdue += finding.state == State.OVERDUE
            if escalate:
                _escalate(session, key, row, now)
                escalated_now.add(row.event_id)
                result.escalated.append(row.event_id)
        after = rows[-1].id
        session.commit()


def list_supervisions(session: Session, scope: Scope, *, state: str | None, limit: int, offset: int):
    """The supervision records a center sees (its county's or its township's), newest first."""
    column = {"county_code": "county_code", "township_code": "township_code"}.get(scope.column or "")
    if column is None:
        return [], 0
    where, params = f"s.{column} = :v" + (" AND s.state = :state" if state else ""), {"v": scope.value, "state": state}
    total = session.execute(text(f"SELECT count(*) FROM supervisions s WHERE {where}"), params).scalar_one()
    rows = session.execute(
        text(
            f"SELECT s.id, s.event_id, s.task_id, s.at, s.state, s.time_limit, s.due, s.center_code, s.escalated "
            f"FROM supervisions s WHERE {where} ORDER BY s.at DESC, s.id DESC LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).mappings()

    def iso(v):
        return v.isoformat().replace("+00:00", "Z")

    return [{**r, "at": iso(r["at"]), "due": iso(r["due"])} for r in rows], total


@dataclass(frozen=True)
class TaskLimits:
    """A task's limits as they stand at a moment (None while its clock is stopped), and its pauses."""

    dispatched_at: datetime
    respond_by: datetime | None
    handle_by: datetime | None
    pauses: tuple


EVENT_TASKS = text(TASK_CLOCK + "WHERE t.event_id = :e ORDER BY t.id")


def task_limits(session: Session, event_id: int, now: datetime) -> dict[int, TaskLimits]:
    """Each task of an event: its response and handling limits at `now` as effective_due has them (None while
    that clock is stopped: parked, or for handling an extension waiting), and the pauses counted then."""
    rows = session.execute(EVENT_TASKS, {"e": event_id}).all()
    pauses = pauses_by_task(session, [event_id], now)
    calendar = _calendar_for(session, rows)
    out = {}
    for row in rows:
        clock = _clock(row, pauses)
        due = effective_due(clock, now, calendar)
        parked = row.event_status == "parked"
        waiting = tuple((start, None) for start, end in clock.extension_waits if end is None or end > now)
        out[row.id] = TaskLimits(
            row.dispatched_at,
            None if parked else due.response,
            None if parked or row.extension_pending else due.handling,
            clock.pauses + waiting,
        )
    return out
