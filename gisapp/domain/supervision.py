"""Supervision of time limits (督办, standard 6.2.4): is a task on time, warned or overdue, as of a moment.

A task has two limits from its category: the response limit (a team must be on scene, a department
must have acknowledged) and the handling limit. The clock stops while the event is parked (挂账) or
an extension of this task is pending (延期): each pause pushes the limits back by its length. A task
is warned once it has used a configurable share of a limit, overdue once it is past one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class State(StrEnum):
    ON_TIME = "on_time"
    WARNED = "warned"
    OVERDUE = "overdue"


RANK = {State.ON_TIME: 0, State.WARNED: 1, State.OVERDUE: 2}


@dataclass(frozen=True)
class Policy:
    warn_share: float = 0.8          # warn when this share of a limit is used
    escalate_overdue: bool = False   # a level-1 event whose handling is overdue goes to the county center

    def __post_init__(self) -> None:
        if not 0 < self.warn_share < 1:
            raise ValueError("warn_share must be between 0 and 1")


@dataclass(frozen=True)
class Clock:
    """What supervision needs to know of one open task."""

    receiver_kind: str               # "team" (responds by arriving) or "department" (by acknowledging)
    dispatched_at: datetime
    respond_by: datetime
    handle_by: datetime
    acknowledged_at: datetime | None = None
    arrived_at: datetime | None = None
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()  # (from, to); to None: still paused


@dataclass(frozen=True)
class Finding:
    state: State
    time_limit: str | None  # "response" or "handling": the limit that decided the state
    due: datetime | None    # that limit, pauses included


def paused(pauses, since: datetime, now: datetime) -> timedelta:
    """Total length of the pauses between since and now (overlaps counted once).

    >>> from datetime import timezone
    >>> t = lambda h: datetime(2026, 1, 1, h, tzinfo=timezone.utc)
    >>> paused([(t(1), t(3)), (t(2), t(4)), (t(6), None)], t(0), t(7))
    datetime.timedelta(seconds=14400)
    """
    spans = sorted((max(a, since), min(b or now, now)) for a, b in pauses)
    total, reach = timedelta(0), since
    for start, end in spans:
        start = max(start, reach)
        if end > start:
            total += end - start
            reach = end
    return total


def _assess_limit(start: datetime, due: datetime, done: bool, now: datetime, shift: timedelta,
                  policy: Policy) -> State:
    if done:
        return State.ON_TIME
    due = due + shift
    if now > due:
        return State.OVERDUE
    if now - start >= (due - start) * policy.warn_share:
        return State.WARNED
    return State.ON_TIME


def assess(clock: Clock, now: datetime, policy: Policy = Policy()) -> Finding:
    """The task's state as of now: the worse of its response and handling limits."""
    shift = paused(clock.pauses, clock.dispatched_at, now)
    responded = (clock.arrived_at if clock.receiver_kind == "team" else clock.acknowledged_at) is not None
    limits = (("response", clock.respond_by, responded), ("handling", clock.handle_by, False))
    worst = Finding(State.ON_TIME, None, None)
    for name, due, done in limits:
        state = _assess_limit(clock.dispatched_at, due, done, now, shift, policy)
        if RANK[state] >= RANK[worst.state] and state != State.ON_TIME:  # a tie: handling, the graver limit
            worst = Finding(state, name, due + shift)
    return worst


def escalates(finding: Finding, *, level: int, kind: str, policy: Policy) -> bool:
    """Does the policy send this event to level 2? A level-1 event's own task overdue on handling."""
    return (policy.escalate_overdue and level == 1 and kind == "handle" and finding.state == State.OVERDUE
            and finding.time_limit == "handling")
