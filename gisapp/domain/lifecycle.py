"""The event life cycle of standard clauses 6.1-6.3 as one pure state machine.

An event (a `Case` here) has a status and tasks: one per receiver it was dispatched to (the
grid's joint-duty team at level 1, one or more departments at level 2) and one per team sent
in support. The center (the township sub-center at level 1, the county center at level 2)
accepts, dispatches, verifies, closes, parks, approves extensions and confirms support; a
receiver acknowledges, arrives, handles, returns a mis-dispatched task, asks for more time or
for support. `apply` is the one place that decides: it refuses what the rules do not allow
(`TransitionNotAllowed`, 409) or what the caller's part does not allow (`NotYourStep`, 403)
and otherwise returns the new case, which the service writes back with its log and audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import cast

import shapely

from gisapp.domain.body import Body, Field, read
from gisapp.domain.events import EventStatus
from gisapp.errors import AppError, ValidationFailed


class TaskStatus(StrEnum):
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    ON_SCENE = "on_scene"
    HANDLED = "handled"
    RETURNED = "returned"  # 回退: the receiver says it is not theirs
    CANCELLED = "cancelled"  # escalated away, or the event ended


class Action(StrEnum):
    ACCEPT = "accept"
    VOID = "void"
    DISPATCH = "dispatch"
    ACKNOWLEDGE = "acknowledge"
    ARRIVE = "arrive"
    HANDLE = "handle"
    VERIFY = "verify"
    CLOSE = "close"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    PARK = "park"
    RESTORE = "restore"
    SEND_BACK = "send_back"
    ESCALATE = "escalate"
    REQUEST_SUPPORT = "request_support"
    CONFIRM_SUPPORT = "confirm_support"


TERMINAL = frozenset({EventStatus.VOIDED, EventStatus.CLOSED})
ACTIVE_TASK = frozenset({TaskStatus.DISPATCHED, TaskStatus.ACKNOWLEDGED, TaskStatus.ON_SCENE})
IN_HAND = frozenset({EventStatus.DISPATCHED, EventStatus.ACKNOWLEDGED, EventStatus.ON_SCENE})
PROGRESS = (TaskStatus.DISPATCHED, TaskStatus.ACKNOWLEDGED, TaskStatus.ON_SCENE, TaskStatus.HANDLED)


class TransitionNotAllowed(AppError):
    status = 409
    code = "transition_not_allowed"


class NotYourStep(AppError):
    status = 403
    code = "not_your_step"


@dataclass(frozen=True)
class Task:
    receiver: str  # "team:<code>" or "department:<code>"
    kind: str = "handle"  # "handle" (the event's own work) or "support" (help from another grid)
    status: TaskStatus = TaskStatus.DISPATCHED
    extension_pending: bool = False
    id: int | None = None  # None until stored
    member: str | None = None  # the member sent (members.code), for support tasks


@dataclass(frozen=True)
class Case:
    status: EventStatus
    level: int
    tasks: tuple[Task, ...] = ()
    parked_from: EventStatus | None = None
    support_requested: int = 0  # members asked for and not yet confirmed
    rework: int = 0  # times sent back after a failed verification


@dataclass(frozen=True)
class Caller:
    """The caller's part in this event: the event's center, and/or the receiver of some of its tasks."""

    is_center: bool = False
    receivers: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Args:
    """What an action carries besides the note: dispatch receivers, support members, how many."""

    receivers: tuple[str, ...] = ()
    support: tuple[tuple[str, str], ...] = ()  # (receiver team, member code) per member confirmed
    members: int = 0


CENTER_ACTIONS = frozenset(
    {
        Action.ACCEPT,
        Action.VOID,
        Action.DISPATCH,
        Action.VERIFY,
        Action.CLOSE,
        Action.APPROVE_EXTENSION,
        Action.REFUSE_EXTENSION,
        Action.PARK,
        Action.RESTORE,
        Action.SEND_BACK,
        Action.ESCALATE,
        Action.CONFIRM_SUPPORT,
    }
)
# receiver actions: the task statuses they start from, and the status they lead to (None: unchanged)
RECEIVER_ACTIONS: dict[Action, tuple[frozenset[TaskStatus], TaskStatus | None]] = {
    Action.ACKNOWLEDGE: (frozenset({TaskStatus.DISPATCHED}), TaskStatus.ACKNOWLEDGED),
    Action.ARRIVE: (frozenset({TaskStatus.ACKNOWLEDGED}), TaskStatus.ON_SCENE),
    Action.HANDLE: (frozenset({TaskStatus.ACKNOWLEDGED, TaskStatus.ON_SCENE}), TaskStatus.HANDLED),
    Action.RETURN: (frozenset({TaskStatus.DISPATCHED, TaskStatus.ACKNOWLEDGED}), TaskStatus.RETURNED),
    Action.REQUEST_EXTENSION: (ACTIVE_TASK, None),
    Action.REQUEST_SUPPORT: (frozenset({TaskStatus.ACKNOWLEDGED, TaskStatus.ON_SCENE}), None),
}


def _refuse(action: Action, case: Case, why: str) -> TransitionNotAllowed:
    return TransitionNotAllowed(f"{action} is not allowed while the event is {case.status}: {why}")


def derived_status(tasks: tuple[Task, ...]) -> EventStatus:
    """The event's status from its own (handle) tasks: the least advanced active one; all handled: handled;
    none left (all returned or cancelled): accepted again, for a new dispatch.

    >>> derived_status((Task("team:T1", status=TaskStatus.ON_SCENE), Task("department:a")))
    <EventStatus.DISPATCHED: 'dispatched'>
    >>> derived_status((Task("department:a", status=TaskStatus.RETURNED),))
    <EventStatus.ACCEPTED: 'accepted'>
    """
    own = [t.status for t in tasks if t.kind == "handle" and t.status in (*PROGRESS,)]
    if not own:
        return EventStatus.ACCEPTED
    return EventStatus(min(own, key=PROGRESS.index))


def apply(case: Case, action: Action | str, caller: Caller, args: Args = Args()) -> Case:
    """The case after the action, or TransitionNotAllowed / NotYourStep; the input is never changed."""
    action = Action(action)
    if case.status in TERMINAL:
        raise _refuse(action, case, "the event has ended")
    if action in CENTER_ACTIONS:
        if not caller.is_center:
            raise NotYourStep(f"{action} is for the event's command center")
        return _center(case, action, args)
    if not caller.receivers:
        raise NotYourStep(f"{action} is for the receiver of one of the event's tasks")
    return _receiver(case, action, caller, args)


def _center(case: Case, action: Action, args: Args) -> Case:
    s = case.status
    simple = {
        Action.ACCEPT: (EventStatus.REPORTED, EventStatus.ACCEPTED),
        Action.VOID: (EventStatus.REPORTED, EventStatus.VOIDED),
        Action.VERIFY: (EventStatus.HANDLED, EventStatus.VERIFIED),
    }
    if action in simple:
        before, after = simple[action]
        if s != before:
            raise _refuse(action, case, f"this step needs a {before} event")
        return replace(case, status=after)
    if action == Action.CLOSE:
        if s != EventStatus.VERIFIED:
            raise _refuse(action, case, "close after verification")
        tasks = tuple(replace(t, status=TaskStatus.CANCELLED) if t.status in ACTIVE_TASK else t for t in case.tasks)
        return replace(case, status=EventStatus.CLOSED, tasks=tasks)
    return _CENTER_STEPS[action](case, args)


def _dispatch(case: Case, args: Args) -> Case:
    if case.status != EventStatus.ACCEPTED:
        raise _refuse(Action.DISPATCH, case, "dispatch an accepted event")
    if not args.receivers:
        raise _refuse(Action.DISPATCH, case, "name at least one receiver")
    tasks = case.tasks + tuple(Task(r) for r in dict.fromkeys(args.receivers))
    return replace(case, status=EventStatus.DISPATCHED, tasks=tasks)


def _send_back(case: Case, args: Args) -> Case:
    if case.status not in (EventStatus.HANDLED, EventStatus.VERIFIED):
        raise _refuse(Action.SEND_BACK, case, "send back a handled result")
    tasks = tuple(
        replace(t, status=TaskStatus.DISPATCHED) if t.kind == "handle" and t.status == TaskStatus.HANDLED else t
        for t in case.tasks
    )
    return replace(case, status=EventStatus.DISPATCHED, tasks=tasks, rework=case.rework + 1)


def _extension(approve: bool):
    def step(case: Case, args: Args) -> Case:
        if not any(t.extension_pending for t in case.tasks):
            raise _refuse(
                Action.APPROVE_EXTENSION if approve else Action.REFUSE_EXTENSION, case, "no extension is pending"
            )
        return replace(case, tasks=tuple(replace(t, extension_pending=False) for t in case.tasks))

    return step


def _park(case: Case, args: Args) -> Case:
    if case.status not in (EventStatus.ACCEPTED, *IN_HAND):
        raise _refuse(Action.PARK, case, "park an accepted or dispatched event")
    return replace(case, status=EventStatus.PARKED, parked_from=case.status)


def _restore(case: Case, args: Args) -> Case:
    if case.status != EventStatus.PARKED:
        raise _refuse(Action.RESTORE, case, "only a parked event is restored")
    return replace(case, status=case.parked_from or EventStatus.ACCEPTED, parked_from=None)


def _escalate(case: Case, args: Args) -> Case:
    if case.level != 1 or case.status not in (EventStatus.REPORTED, EventStatus.ACCEPTED, *IN_HAND):
        raise _refuse(Action.ESCALATE, case, "escalate an open level-1 event")
    tasks = tuple(
        replace(t, status=TaskStatus.CANCELLED, extension_pending=False) if t.status in ACTIVE_TASK else t
        for t in case.tasks
    )
    status = EventStatus.REPORTED if case.status == EventStatus.REPORTED else EventStatus.ACCEPTED
    return replace(case, level=2, status=status, tasks=tasks, support_requested=0)


def _confirm_support(case: Case, args: Args) -> Case:
    if case.support_requested <= 0 or case.status not in IN_HAND:
        raise _refuse(Action.CONFIRM_SUPPORT, case, "no support request is open")
    if not args.support:
        raise _refuse(Action.CONFIRM_SUPPORT, case, "name at least one member")
    new = tuple(Task(receiver, kind="support", member=member) for receiver, member in args.support)
    return replace(case, tasks=case.tasks + new, support_requested=0)


_CENTER_STEPS = {
    Action.DISPATCH: _dispatch,
    Action.SEND_BACK: _send_back,
    Action.APPROVE_EXTENSION: _extension(True),
    Action.REFUSE_EXTENSION: _extension(False),
    Action.PARK: _park,
    Action.RESTORE: _restore,
    Action.ESCALATE: _escalate,
    Action.CONFIRM_SUPPORT: _confirm_support,
}


def _receiver(case: Case, action: Action, caller: Caller, args: Args) -> Case:
    if case.status == EventStatus.PARKED:
        raise _refuse(action, case, "the event is parked")
    starts, to = RECEIVER_ACTIONS[action]
    mine = [i for i, t in enumerate(case.tasks) if t.receiver in caller.receivers and t.status in starts]
    if action == Action.REQUEST_SUPPORT:
        mine = [i for i in mine if case.tasks[i].kind == "handle"]
    if not mine:
        raise _refuse(action, case, f"none of your tasks is {' or '.join(sorted(starts))}")
    i = mine[0]
    task = case.tasks[i]
    if action == Action.REQUEST_EXTENSION:
        if task.extension_pending:
            raise _refuse(action, case, "an extension is already pending")
        task = replace(task, extension_pending=True)
    elif action == Action.REQUEST_SUPPORT:
        if args.members < 1:
            raise _refuse(action, case, "ask for at least one member")
        return replace(case, support_requested=case.support_requested + args.members)
    else:
        assert to is not None  # only REQUEST_EXTENSION and REQUEST_SUPPORT (both above) have no target status
        task = replace(task, status=to, extension_pending=False)
    tasks = case.tasks[:i] + (task,) + case.tasks[i + 1 :]
    return replace(case, tasks=tasks, status=derived_status(tasks))


# --------------------------------------------------------------------------- the request body of an action


@dataclass(frozen=True)
class Step:
    """One action as asked for: validated, not yet decided."""

    action: Action
    note: str = ""
    photos: tuple[str, ...] = ()  # references to photos kept elsewhere (file store ids, URLs)
    position: shapely.Point | None = None  # where the actor was, WGS84
    departments: tuple[str, ...] = ()  # dispatch at level 2: the departments (default: the category's)
    members: int | tuple[str, ...] = 0  # request_support: how many; confirm_support: which member codes
    until: datetime | None = None  # request_extension: the new handling deadline, with its UTC offset
    client_ref: str | None = None  # a retry with the same reference is done once


def _bad(code: str, message: str, field: str):
    return ValidationFailed(message, code=code, field=field)


UNTIL_MESSAGE = "until: an ISO 8601 time with its UTC offset, such as 2026-12-01T18:00:00+08:00"


def _until(value: str) -> datetime:
    """An ISO 8601 time with its offset (Z for UTC); the service checks it against now and the deadline.

    >>> _until("2026-12-01T18:00:00+08:00").isoformat()
    '2026-12-01T18:00:00+08:00'
    >>> _until("2026-12-01T18:00:00")
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: until: an ISO 8601 time with its UTC offset, such as 2026-12-01T18:00:00+08:00
    """
    try:
        until = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad("invalid_until", UNTIL_MESSAGE, "until") from None
    if until.tzinfo is None:
        raise _bad("invalid_until", UNTIL_MESSAGE, "until")
    return until


def _position(value: dict) -> shapely.Point:
    coords = value.get("coordinates") if value.get("type") == "Point" else None
    if not (
        isinstance(coords, list)
        and len(coords) == 2
        and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords)
        and -180 <= coords[0] <= 180
        and -90 <= coords[1] <= 90
    ):
        raise _bad("invalid_position", POSITION_MESSAGE, "position")
    return shapely.Point(float(coords[0]), float(coords[1]))


def _members(value, action: Action) -> int | tuple[str, ...]:
    if action == Action.REQUEST_SUPPORT:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 50:
            raise _bad("invalid_members", "members: how many members are needed, 1 to 50", "members")
        return value
    if action == Action.CONFIRM_SUPPORT:
        if not (
            isinstance(value, list)
            and 0 < len(value) <= 50
            and all(isinstance(v, str) and 0 < len(v) <= 500 for v in value)
        ):
            raise _bad("invalid_members", "members: the codes of the members to send", "members")
        return tuple(value)
    return 0


POSITION_MESSAGE = 'position: {"type": "Point", "coordinates": [lon, lat]} in WGS84'
# the body of POST /api/v1/events/<id>/actions, in the order its fields are checked
STEP = Body(
    (
        Field(
            "action",
            "string",
            "unknown_action",
            required=True,
            enum=tuple(Action),
            parse=Action,
            message="action must be one of: " + ", ".join(Action),
            missing_message="action must be one of: " + ", ".join(Action),
        ),
        Field(
            "note",
            "string",
            "invalid_note",
            max_length=2000,
            default="",
            message="note: text of at most 2000 characters",
        ),
        Field(
            "client_ref",
            "string",
            "invalid_client_ref",
            min_length=1,
            max_length=128,
            message="client_ref: 1 to 128 characters",
            description="a retry with the same reference is done once",
        ),
        Field(
            "until",
            "string",
            "invalid_until",
            parse=_until,
            description="request_extension: the new handling deadline (ISO 8601 with its UTC offset)",
        ),
        Field(
            "photos",
            "array",
            "invalid_photos",
            max_length=10,
            items="string",
            max_item_length=500,
            parse=tuple,
            description="references to photos kept elsewhere",
        ),
        Field(
            "position",
            "object",
            "invalid_position",
            parse=_position,
            message=POSITION_MESSAGE,
            description="where the actor was: a GeoJSON Point in WGS84",
        ),
        Field(
            "departments",
            "array",
            "invalid_departments",
            max_length=20,
            items="string",
            max_item_length=500,
            parse=tuple,
            description="dispatch at level 2: the departments (default: the category's)",
        ),
        Field(
            "members",
            "any",
            "invalid_members",
            description="request_support: how many members (1 to 50); confirm_support: the member codes",
        ),
    ),
    invalid='send a JSON object: {"action": "...", "note": "..."}',
    invalid_field="action",
    extra_codes=("missing_until",),
)
STEP_FIELDS = STEP.names


def parse_step(body) -> Step:
    """Validate an action's JSON body (STEP): stable codes, nothing guessed.

    >>> parse_step({"action": "request_support", "members": 2, "note": "人手不够"}).members
    2
    >>> parse_step({"action": "fly"})
    Traceback (most recent call last):
    gisapp.errors.ValidationFailed: action must be one of: accept, void, ...
    """
    got = read(STEP, body)
    # the casts name what STEP's declaration (type, enum, parse function) has already made of each field
    action = cast(Action, got["action"])
    if action == Action.REQUEST_EXTENSION and got["until"] is None:
        raise _bad("missing_until", "request_extension needs until: the new handling deadline (ISO 8601)", "until")
    return Step(
        action,
        cast(str, got["note"]),
        cast("tuple[str, ...] | None", got["photos"]) or (),
        cast("shapely.Point | None", got["position"]),
        cast("tuple[str, ...] | None", got["departments"]) or (),
        _members(got["members"], action),
        cast("datetime | None", got["until"]),
        cast("str | None", got["client_ref"]),
    )
