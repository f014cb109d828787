"""Supervision of time limits (督办, standard 6.2.4): is a task on time, warned or overdue, as of a moment.

A task has two limits: the response limit (a team must be on scene, a department must have acknowledged),
clock minutes, and the handling limit, in the unit of its category (clock minutes, working hours or working
days of the county's calendar). `effective_due` is the one rule for where a limit stands as of a moment:

- A park (挂账) stops both clocks: a limit moves back by the time of its unit the park takes before the
  limit runs out (a weekend park does not move a working-hour limit; a park after the limit moves nothing).
- An extension (延期) request stops the handling clock while it waits: the deadline hangs on the center's
  decision, so supervision does not warn or mark overdue on a limit about to be replaced. Once decided the
  wait is no pause at all: approved, the handling deadline is exactly the approved time (later parks still
  move it); refused, or lapsed because the task moved on before a decision, the limits are as if it had
  never been asked (a task past its limit is overdue at once).

A task is warned once it has used a share of a limit (counted in the limit's unit, pauses left out), overdue
once it is past one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gisapp.domain.worktime import Unit, WorkCalendar

Span = tuple[datetime, datetime | None]  # (from, to); to None: not ended (yet)
CLOCK_MINUTES = WorkCalendar()  # minutes ignore holidays and working hours: any calendar counts them


class State(StrEnum):
    ON_TIME = "on_time"
    WARNED = "warned"
    OVERDUE = "overdue"


RANK = {State.ON_TIME: 0, State.WARNED: 1, State.OVERDUE: 2}


@dataclass(frozen=True)
class Policy:
    warn_share: float = 0.8  # warn when this share of a limit is used
    escalate_overdue: bool = False  # a level-1 event whose handling is overdue goes to the county center

    def __post_init__(self) -> None:
        if not 0 < self.warn_share < 1:
            raise ValueError("warn_share must be between 0 and 1")


@dataclass(frozen=True)
class Clock:
    """What supervision needs to know of one task.

    ``handle_by`` is the stored handling deadline: the category's limit counted from ``dispatched_at``, or,
    when ``extension_approved_at`` is set, the time an extension approved then granted. The limit's amount is
    the time of ``handling_unit`` between that base and ``handle_by`` (the stored deadline is the record of
    the limit, so editing a category does not re-time open tasks). ``pauses`` are the event's parks;
    ``extension_waits`` the task's extension requests, each until its decision (approved, refused or lapsed).
    The task's state is kept, not its history: a moment before ``extension_approved_at`` is judged against the
    approved deadline too (the category's deadline it replaced is not kept).
    """

    receiver_kind: str  # "team" (responds by arriving) or "department" (by acknowledging)
    dispatched_at: datetime
    respond_by: datetime
    handle_by: datetime
    acknowledged_at: datetime | None = None
    arrived_at: datetime | None = None
    pauses: tuple[Span, ...] = ()
    handling_unit: str = Unit.MINUTES
    extension_approved_at: datetime | None = None
    extension_waits: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Due:
    """Where a task's limits stand as of a moment."""

    response: datetime
    handling: datetime
    paused: bool  # a pause runs at the moment: both instants are as if the clock restarted then, and move on


@dataclass(frozen=True)
class Finding:
    state: State
    time_limit: str | None  # "response" or "handling": the limit that decided the state
    due: datetime | None  # that limit as it stands, pauses included


@dataclass(frozen=True)
class _Limit:
    name: str
    start: datetime  # where the share used is counted from
    due: datetime
    unit: Unit
    calendar: WorkCalendar
    pauses: tuple[tuple[datetime, datetime], ...]


def running_pauses(spans: Sequence[Span], now: datetime) -> tuple[tuple[datetime, datetime], ...]:
    """The parts of the spans before now; one not ended by now runs up to now."""
    return tuple((start, min(end or now, now)) for start, end in spans if start < now)


def pending_waits(waits: Sequence[Span], now: datetime) -> tuple[tuple[datetime, datetime], ...]:
    """The extension requests still undecided at now, each as a pause up to now; decided ones are no pause."""
    return tuple((start, now) for start, end in waits if start < now and (end is None or end > now))


def shifted(calendar: WorkCalendar, base: datetime, target: datetime, unit: str, pauses) -> datetime:
    """The deadline `target`, set at `base`, moved back by the time of `unit` the pauses take before it runs out.

    Without pauses (or with pauses outside the counted time before it) the deadline is `target` itself,
    even when it lies outside working hours; a target not after its base cannot move.

    >>> from zoneinfo import ZoneInfo
    >>> sh, cal = ZoneInfo("Asia/Shanghai"), WorkCalendar()
    >>> friday = datetime(2026, 3, 6, 15, 0, tzinfo=sh)
    >>> due = cal.add(friday, 4, "work_hours")  # Monday 10:00
    >>> weekend = [(datetime(2026, 3, 6, 16, 0, tzinfo=sh), datetime(2026, 3, 9, 8, 0, tzinfo=sh))]
    >>> shifted(cal, friday, due, "work_hours", weekend).astimezone(sh).strftime("%a %H:%M")
    'Mon 11:30'
    >>> shifted(cal, friday, due, "minutes", weekend).astimezone(sh).strftime("%a %H:%M")  # the 64 clock hours
    'Thu 02:00'
    """
    if target <= base:
        return target
    amount = calendar.elapsed(base, target, unit)
    return max(target, calendar.add(base, amount, unit, pauses))


def _handling_calendar(unit: Unit, calendar: WorkCalendar | None) -> WorkCalendar:
    if unit is Unit.MINUTES:
        return calendar or CLOCK_MINUTES
    if calendar is None:
        raise ValueError(f"a handling limit in {unit} needs the county's working-time calendar")
    return calendar


def _limits(clock: Clock, now: datetime, calendar: WorkCalendar | None) -> tuple[_Limit, _Limit]:
    parks = running_pauses(clock.pauses, now)
    handling_pauses = parks + pending_waits(clock.extension_waits, now)
    unit = Unit(clock.handling_unit)
    cal = _handling_calendar(unit, calendar)
    base = clock.extension_approved_at or clock.dispatched_at
    response = shifted(CLOCK_MINUTES, clock.dispatched_at, clock.respond_by, Unit.MINUTES, parks)
    handling = shifted(cal, base, clock.handle_by, unit, handling_pauses)
    return (
        _Limit("response", clock.dispatched_at, response, Unit.MINUTES, CLOCK_MINUTES, parks),
        _Limit("handling", clock.dispatched_at, handling, unit, cal, handling_pauses),
    )


def effective_due(clock: Clock, now: datetime, calendar: WorkCalendar | None = None) -> Due:
    """The task's response and handling deadlines as they stand at `now`, every pause up to then counted.

    Parks count in each limit's unit; an extension request counts (on the handling limit only) while it is
    undecided at `now`; an approved extension (``extension_approved_at`` at or before `now`) makes the
    handling deadline ``handle_by`` exactly, moved only by parks after the approval. A pause still running at
    `now` counts up to `now` (``Due.paused``): the deadline as if the clock restarted then. `calendar` is
    needed for a handling limit in working hours or days. To judge a handled task, pass its handled time:
    it was on time when ``handled_at <= effective_due(clock, handled_at, calendar).handling``.
    """
    response, handling = _limits(clock, now, calendar)
    paused = any(start <= now and (end is None or end > now) for start, end in clock.pauses + clock.extension_waits)
    return Due(response.due, handling.due, paused)


def used_share(limit: _Limit, now: datetime) -> float:
    """The share of a limit used at now, counted in its unit with the pauses left out."""
    allowed = limit.calendar.elapsed(limit.start, limit.due, limit.unit, limit.pauses)
    used = limit.calendar.elapsed(limit.start, now, limit.unit, limit.pauses)
    return used / allowed if allowed > 0 else 1.0


def _state(limit: _Limit, done: bool, now: datetime, policy: Policy) -> State:
    if done:
        return State.ON_TIME
    if now > limit.due:
        return State.OVERDUE
    return State.WARNED if used_share(limit, now) >= policy.warn_share else State.ON_TIME


def assess(clock: Clock, now: datetime, policy: Policy = Policy(), calendar: WorkCalendar | None = None) -> Finding:
    """The task's state as of now: the worse of its response and handling limits."""
    responded = (clock.arrived_at if clock.receiver_kind == "team" else clock.acknowledged_at) is not None
    worst = Finding(State.ON_TIME, None, None)
    for limit, done in zip(_limits(clock, now, calendar), (responded, False)):
        state = _state(limit, done, now, policy)
        if RANK[state] >= RANK[worst.state] and state != State.ON_TIME:  # a tie: handling, the graver limit
            worst = Finding(state, limit.name, limit.due)
    return worst


def escalates(finding: Finding, *, level: int, kind: str, policy: Policy) -> bool:
    """Does the policy send this event to level 2? A level-1 event's own task overdue on handling."""
    return (
        policy.escalate_overdue
        and level == 1
        and kind == "handle"
        and finding.state == State.OVERDUE
        and finding.time_limit == "handling"
    )
