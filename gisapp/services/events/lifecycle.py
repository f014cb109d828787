"""Life-cycle actions on an event: load it with its tasks, let the domain decide, write the result back
with its log entry and audit record, in the caller's transaction (standard 6.2-6.3)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.domain.deadlines import Deadlines
from gisapp.domain.events import EventStatus
from gisapp.domain.lifecycle import (
    ACTIVE_TASK,
    Action,
    Args,
    Caller,
    Case,
    Step,
    Task,
    TaskStatus,
    TransitionNotAllowed,
    apply,
)
from gisapp.domain.permissions import Scope
from gisapp.domain.security import ROLE_BINDING, Role
from gisapp.domain.worktime import DEFAULT_TZ
from gisapp.errors import NotFound, ValidationFailed
from gisapp.services.access.accounts import Account
from gisapp.services.access.audit import Actor, record
from gisapp.services.events.notify import announce
from gisapp.services.events.read import scope_clause
from gisapp.services.events.supervision import task_due
from gisapp.services.jurisdiction.worktime import category_deadlines

EVENT_SQL = """
SELECT e.id, e.status, e.level, e.parked_from, e.support_requested, e.rework, e.county_code, e.township_code,
       e.grid_code, e.category_code, c.department_code AS category_department, c.response_minutes,
       c.handling_minutes, c.handling_unit, c.handling_amount
FROM events e JOIN categories c ON c.code = e.category_code
WHERE e.id = :id AND {scope} FOR UPDATE OF e
"""
TASKS_SQL = text(
    "SELECT id, kind, team_code, department_code, member_code, status, extension_pending, "
    "extension_until FROM event_tasks WHERE event_id = :id ORDER BY id"
)
STAMP = {
    TaskStatus.ACKNOWLEDGED: "acknowledged_at",
    TaskStatus.ON_SCENE: "arrived_at",
    TaskStatus.HANDLED: "handled_at",
}


def _receiver(row) -> str:
    return f"team:{row.team_code}" if row.team_code else f"department:{row.department_code}"


def load(session: Session, event_id: int, scope: Scope):
    """The event row (locked) and its case, or 404 when the scope does not see it."""
    clause, params = scope_clause(scope)
    row = session.execute(text(EVENT_SQL.format(scope=clause)), {"id": event_id, **params}).one_or_none()
    if row is None:
        raise NotFound(f"event {event_id} does not exist", code="event_not_found")
    tasks = tuple(
        Task(_receiver(t), t.kind, TaskStatus(t.status), t.extension_pending, t.id, t.member_code)
        for t in session.execute(TASKS_SQL, {"id": event_id})
    )
    case = Case(
        EventStatus(row.status),
        row.level,
        tasks,
        EventStatus(row.parked_from) if row.parked_from else None,
        row.support_requested,
        row.rework,
    )
    return row, case


def team_of_grid(session: Session, grid: str) -> str | None:
    """The joint-duty team of a grid (one per grid), if it has one."""
    return session.execute(text("SELECT code FROM teams WHERE grid_code = :g"), {"g": grid}).scalar_one_or_none()


def caller_for(session: Session, account: Account, event) -> Caller:
    """The account's part in this event: its center (county commander; township dispatcher at level 1)
    and the receivers it answers for (its grid's team, its department)."""
    is_center = (account.role == Role.COUNTY_COMMANDER and account.bound_to == event.county_code) or (
        account.role == Role.TOWNSHIP_DISPATCHER and account.bound_to == event.township_code and event.level == 1
    )
    receivers: set[str] = set()
    if account.role == Role.GRID_OFFICER:
        team = team_of_grid(session, account.bound_to)
        receivers |= {f"team:{team}"} if team else set()
    elif account.role == Role.DEPARTMENT_STAFF:
        receivers.add(f"department:{account.bound_to}")
    return Caller(is_center, frozenset(receivers))


def _dispatch_receivers(session: Session, event, step: Step) -> tuple[str, ...]:
    if event.level == 1:
        team = team_of_grid(session, event.grid_code)
        if team is None:
            raise TransitionNotAllowed("the grid has no joint-duty team: escalate to the county center")
        return (f"team:{team}",)
    codes = step.departments or (event.category_department,)
    known = set(
        session.execute(
            text("SELECT code FROM departments WHERE code = ANY(:c) AND county_code = :k"),
            {"c": list(codes), "k": event.county_code},
        ).scalars()
    )
    missing = [c for c in codes if c not in known]
    if missing:
        raise ValidationFailed(
            f"no department {missing[0]!r} serves this county", code="unknown_department", field="departments"
        )
    return tuple(f"department:{c}" for c in codes)


def _support_members(session: Session, codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    rows = dict(
        session.execute(text("SELECT code, team_code FROM members WHERE code = ANY(:c)"), {"c": list(codes)}).all()
    )
    missing = [c for c in codes if c not in rows]
    if missing:
        raise ValidationFailed(f"no member {missing[0]!r}", code="unknown_member", field="members")
    return tuple((f"team:{rows[c]}", c) for c in codes)


def args_for(session: Session, event, step: Step) -> Args:
    if step.action == Action.DISPATCH:
        return Args(receivers=_dispatch_receivers(session, event, step))
    if step.action == Action.CONFIRM_SUPPORT:
        return Args(support=_support_members(session, step.members))
    return Args(members=step.members if isinstance(step.members, int) else 0)


@dataclass(frozen=True)
class Outcome:
    event_id: int
    replayed: bool  # a retry with a client_ref already done: nothing changed


def perform(
    session: Session,
    key: bytes,
    account: Account,
    actor: Actor,
    event_id: int,
    step: Step,
    scope: Scope,
    *,
    now: datetime | None = None,
    auto_support: bool = False,
) -> Outcome:
    """Do one action on an event, or raise (409 transition_not_allowed, 403 not_your_step, 404, 422)."""
    now = now or datetime.now(timezone.utc)
    event, case = load(session, event_id, scope)
    if (
        step.client_ref
        and session.execute(
            text("SELECT 1 FROM event_log WHERE event_id = :e AND client_ref = :r"),
            {"e": event_id, "r": step.client_ref},
        ).first()
    ):
        return Outcome(event_id, replayed=True)
    after = apply(case, step.action, caller_for(session, account, event), args_for(session, event, step))
    until = _extension_until(session, step, case, after, now)
    task_id = _write_tasks(session, event, case, after, step, now, until)
    _write_event(session, event, case, after, now)
    details = {
        k: v
        for k, v in {
            "photos": list(step.photos),
            "position": step.position and [step.position.x, step.position.y],
            "receivers": [t.receiver for t in after.tasks[len(case.tasks) :]],
            "members": step.members or None,
            "until": until and until.isoformat(),
        }.items()
        if v
    }
    session.execute(
        text(
            "INSERT INTO event_log (event_id, at, actor, action, from_status, to_status, note, task_id, details, "
            "client_ref) VALUES (:e, :at, :actor, :action, :f, :t, :note, :task, CAST(:details AS jsonb), :ref)"
        ),
        {
            "e": event_id,
            "at": now,
            "actor": actor.name,
            "action": str(step.action),
            "f": str(case.status),
            "t": str(after.status),
            "note": step.note,
            "task": task_id,
            "details": json.dumps(details),
            "ref": step.client_ref,
        },
    )
    judge_tasks(session, event_id, case, after, account, now)
    record(
        session,
        key,
        actor,
        f"event.{step.action}",
        target=f"event:{event_id}",
        details={"from": str(case.status), "to": str(after.status), "level": after.level},
    )
    concerned = {t.receiver for t in after.tasks if t.status in ACTIVE_TASK} | {
        new.receiver for old, new in zip(case.tasks, after.tasks) if old != new
    }
    announce(session, event_id, str(step.action), concerned, at=now)
    if auto_support and step.action == Action.REQUEST_SUPPORT:
        _auto_confirm(session, key, event, step, now)
    return Outcome(event_id, replayed=False)


SYSTEM = Actor("dispatch-policy", "system", "local")


def act_as_center(
    session: Session, key: bytes, county: str, actor: Actor, event_id: int, step: Step, now: datetime
) -> Outcome:
    """A step the county center's authority takes by policy (supervision escalation, automatic support)."""
    center = Account(0, actor.name, Role.COUNTY_COMMANDER, ROLE_BINDING[Role.COUNTY_COMMANDER], county)
    return perform(
        session, key, center, actor, event_id, step, Scope("county_code", county, f"system:{actor.name}"), now=now
    )


def _auto_confirm(session: Session, key: bytes, event, step: Step, now: datetime) -> None:
    """The policy dispatches support at once: the best-ranked candidates, as many as were asked for."""
    from gisapp.services.command.support import support_candidates

    picks = support_candidates(session, event.id, limit=int(step.members), now=now)
    if picks:
        act_as_center(
            session,
            key,
            event.county_code,
            SYSTEM,
            event.id,
            Step(
                Action.CONFIRM_SUPPORT,
                note="support dispatched by policy",
                members=tuple(p["member"]["code"] for p in picks),
            ),
            now,
        )


def _extension_until(session: Session, step: Step, before: Case, after: Case, now: datetime) -> datetime | None:
    """The time a request_extension asks for: later than now and than the task's handling deadline as it stands."""
    if step.action != Action.REQUEST_EXTENSION:
        return None
    until = step.until  # parsed at the edge (domain/lifecycle: an ISO 8601 time with its offset)
    assert until is not None  # request_extension without until is missing_until at the edge
    if until <= now:
        raise ValidationFailed("until: a future time", code="invalid_until", field="until")
    asking = next(
        new.id for old, new in zip(before.tasks, after.tasks) if new.extension_pending and not old.extension_pending
    )
    due = task_due(session, asking, now).handling
    if until <= due:
        shown = due.astimezone(ZoneInfo(DEFAULT_TZ)).isoformat(timespec="minutes")
        raise ValidationFailed(
            f"until: the handling deadline is already {shown}; an extension asks for a later time",
            code="invalid_until",
            field="until",
        )
    return until


def _write_event(session: Session, event, before: Case, after: Case, now: datetime) -> None:
    center = None
    if after.level != before.level:  # escalated: the county center takes over
        center = session.execute(
            text("SELECT code FROM command_centers WHERE county_code = :k AND level = 'county'"),
            {"k": event.county_code},
        ).scalar_one()
    session.execute(
        text(
            "UPDATE events SET status = :s, level = :l, parked_from = :p, support_requested = :sr, rework = :rw, "
            "updated_at = :now, center_code = COALESCE(:c, center_code), "
            "closed_at = CASE WHEN :s = 'closed' THEN :now ELSE closed_at END WHERE id = :id"
        ),
        {
            "s": str(after.status),
            "l": after.level,
            "p": after.parked_from and str(after.parked_from),
            "sr": after.support_requested,
            "rw": after.rework,
            "now": now,
            "c": center,
            "id": event.id,
        },
    )


def _write_tasks(
    session: Session, event, before: Case, after: Case, step: Step, now: datetime, until: datetime | None
) -> int | None:
    """Store the changed and new tasks; the id of the task the action was about (if one)."""
    touched = None
    due = category_deadlines(session, event._mapping, now)  # for new tasks and reworked ones
    for old, new in zip(before.tasks, after.tasks):
        if old == new:
            continue
        touched = new.id
        _update_task(session, old, new, step, now, until, due)
    for new in after.tasks[len(before.tasks) :]:
        kind, code = new.receiver.split(":", 1)
        touched = session.execute(
            text(
                "INSERT INTO event_tasks (event_id, kind, team_code, department_code, member_code, status, "
                "dispatched_at, respond_by, handle_by) VALUES (:e, :k, :t, :d, :m, 'dispatched', :now, :r, :h) "
                "RETURNING id"
            ),
            {
                "e": event.id,
                "k": new.kind,
                "t": code if kind == "team" else None,
                "d": code if kind == "department" else None,
                "m": new.member,
                "now": now,
                "r": due.respond_by,
                "h": due.handle_by,
            },
        ).scalar_one()
    return touched


def _update_task(
    session: Session, old: Task, new: Task, step: Step, now: datetime, until: datetime | None, due: Deadlines
) -> None:
    sets = {"status": str(new.status), "extension_pending": new.extension_pending}
    if new.status != old.status and new.status in STAMP:
        sets[STAMP[new.status]] = now
    if step.action == Action.SEND_BACK and new.status == TaskStatus.DISPATCHED:  # rework: the clocks restart
        sets.update(
            dispatched_at=now,
            respond_by=due.respond_by,
            handle_by=due.handle_by,
            extension_approved_at=None,
            acknowledged_at=None,
            arrived_at=None,
            handled_at=None,
            supervision="on_time",
        )
    if step.action == Action.REQUEST_EXTENSION:
        sets["extension_until"] = until
    if old.extension_pending and not new.extension_pending and step.action == Action.APPROVE_EXTENSION:
        # the approved time is the deadline from now on: the waiting time is not added to it (sql/033)
        session.execute(
            text(
                "UPDATE event_tasks SET handle_by = GREATEST(handle_by, extension_until), "
                "extension_approved_at = :now, supervision = 'on_time' "
                "WHERE id = :id AND extension_until IS NOT NULL"
            ),
            {"id": old.id, "now": now},
        )
    assignments = ", ".join(f"{column} = :{column}" for column in sets)
    session.execute(text(f"UPDATE event_tasks SET {assignments} WHERE id = :id"), {**sets, "id": old.id})


def _member_of(session: Session, account: Account) -> str | None:
    return session.execute(
        text("SELECT member_code FROM users WHERE username = :u"), {"u": account.username}
    ).scalar_one_or_none()


def judge_tasks(session: Session, event_id: int, before: Case, after: Case, account: Account, now: datetime) -> None:
    """Keep on the tasks what the evaluation counts (clause 8): whether a step came within its limit as the
    supervision clock stands (pauses, extensions, working time), its working minutes, and the handling limit
    of every unhandled task (NULL while its clock is stopped)."""
    from gisapp.domain.worktime import Unit
    from gisapp.services.events.supervision import task_limits
    from gisapp.services.jurisdiction.worktime import current_calendar

    limits, calendar = task_limits(session, event_id, now), current_calendar(session)
    ids = list(limits)  # by id: the stored tasks in the case's order, then the ones this step added
    for i, task in enumerate(after.tasks):
        tid, was = ids[i], before.tasks[i] if i < len(before.tasks) else None
        limit = limits[tid]
        sets = {"open_due": limit.handle_by if task.status in ACTIVE_TASK else None}
        if task.status == TaskStatus.CANCELLED and was is not None and was.status in ACTIVE_TASK:
            sets["open_due"] = limit.handle_by if limit.handle_by and limit.handle_by <= now else None
        pauses = tuple((start, end or now) for start, end in limit.pauses)
        worked = calendar.elapsed(limit.dispatched_at, now, Unit.WORK_HOURS, pauses) * 60
        moved = was is None or was.status != task.status
        if moved and task.status == TaskStatus.ACKNOWLEDGED:
            sets.update(
                acknowledged_on_time=limit.respond_by is None or now <= limit.respond_by, response_work_minutes=worked
            )
        elif moved and task.status == TaskStatus.HANDLED:
            sets.update(
                handled_on_time=limit.handle_by is None or now <= limit.handle_by,
                handling_work_minutes=worked,
                handled_by=_member_of(session, account),
            )
        elif moved and task.status == TaskStatus.DISPATCHED and was is not None:  # sent back: a new round
            sets.update(
                acknowledged_on_time=None,
                response_work_minutes=None,
                handled_on_time=None,
                handling_work_minutes=None,
                handled_by=None,
            )
        assignments = ", ".join(f"{column} = :{column}" for column in sets)
        session.execute(text(f"UPDATE event_tasks SET {assignments} WHERE id = :id"), {**sets, "id": tid})


def task_rows(session: Session, event_id: int) -> list[dict]:
    """An event's tasks with their receivers and deadlines, for the event's answer."""
    rows = session.execute(
        text("""
        SELECT t.id, t.kind, t.status, t.team_code, tm.name AS team_name, t.department_code, d.name AS dept_name,
               t.member_code, m.name AS member_name, t.dispatched_at, t.acknowledged_at, t.arrived_at, t.handled_at,
               t.respond_by, t.handle_by, t.supervision, t.extension_pending, t.extension_until,
               t.extension_approved_at
        FROM event_tasks t LEFT JOIN teams tm ON tm.code = t.team_code
        LEFT JOIN departments d ON d.code = t.department_code LEFT JOIN members m ON m.code = t.member_code
        WHERE t.event_id = :id ORDER BY t.id"""),
        {"id": event_id},
    ).mappings()

    def iso(v):
        return v.isoformat().replace("+00:00", "Z") if v else None

    return [
        {
            "id": r["id"],
            "kind": r["kind"],
            "status": r["status"],
            "receiver": (
                {"kind": "team", "code": r["team_code"], "name": r["team_name"]}
                if r["team_code"]
                else {"kind": "department", "code": r["department_code"], "name": r["dept_name"]}
            ),
            "member": {"code": r["member_code"], "name": r["member_name"]} if r["member_code"] else None,
            "deadlines": {"respond_by": iso(r["respond_by"]), "handle_by": iso(r["handle_by"])},
            "supervision": r["supervision"],
            "extension": {
                "pending": r["extension_pending"],
                "until": iso(r["extension_until"]),
                "approved_at": iso(r["extension_approved_at"]),
            },
            "times": {k: iso(r[f"{k}_at"]) for k in ("dispatched", "acknowledged", "arrived", "handled")},
        }
        for r in rows
    ]


def progress(session: Session, event_id: int) -> dict:
    """The life-cycle counters of an event: rework rounds, support asked for, where a parked case stood."""
    row = (
        session.execute(
            text(
                "SELECT rework, support_requested, parked_from, repeat_count, rating, review_open "
                "FROM events WHERE id = :id"
            ),
            {"id": event_id},
        )
        .mappings()
        .one()
    )
    return dict(row)


def timeline(session: Session, event_id: int) -> list[dict]:
    """The event's log, oldest first."""
    rows = session.execute(
        text(
            "SELECT at, actor, action, from_status, to_status, note, task_id, details "
            "FROM event_log WHERE event_id = :id ORDER BY at, id"
        ),
        {"id": event_id},
    ).mappings()
    return [
        {
            "at": r["at"].isoformat().replace("+00:00", "Z"),
            "actor": r["actor"],
            "action": r["action"],
            "from": r["from_status"],
            "to": r["to_status"],
            "note": r["note"],
            "task": r["task_id"],
            "details": r["details"],
        }
        for r in rows
    ]
