"""How the simulated demo county behaves: pure decisions, no database (the engine is gisapp/demo/simulate.py).

Everything here is a function of a seed and of what it is shown: when reports arrive (a daily rhythm,
more by day than at night), on which channel and of which category, what becomes of each report (its
`Fate`: voided, returned, late, extended, supported, sent back, rated), which step of its life cycle
comes next and when (`next_step`), who is on shift, and where a member walks on patrol. Random draws
come from `rng_for(parts...)`, a generator seeded from a hash of the parts, so a decision depends only
on what it is about (an event's reference and how many steps it has had), never on the order in which
the engine asks: the same seed gives the same county.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")  # the county's clock: shifts and the daily rhythm are local times
UTC = timezone.utc

# relative report rate per local hour (0-23): quiet at night, peaks mid-morning and mid-afternoon
HOURLY = (
    0.25,
    0.15,
    0.1,
    0.1,
    0.15,
    0.3,
    0.6,
    1.0,
    1.5,
    1.8,
    1.8,
    1.5,
    1.1,
    1.3,
    1.7,
    1.8,
    1.6,
    1.4,
    1.2,
    1.1,
    0.9,
    0.7,
    0.5,
    0.35,
)
CHANNELS = (("patrol", 0.35), ("public", 0.2), ("hotline", 0.25), ("video", 0.1), ("referral", 0.1))
# which kinds of work each channel mostly brings (weights over the category kinds of clause 5)
KINDS_BY_CHANNEL = {
    "patrol": {"urban": 4, "environment": 2, "safety": 2, "order": 1, "livelihood": 1},
    "public": {"urban": 3, "environment": 2, "livelihood": 2, "order": 1, "safety": 1},
    "hotline": {"livelihood": 4, "urban": 2, "environment": 2, "order": 1, "safety": 1},
    "video": {"urban": 3, "order": 3, "safety": 2, "environment": 1},
    "referral": {"livelihood": 3, "safety": 2, "urban": 1, "environment": 1, "order": 1},
}
CHANNEL_NAMES = {
    "patrol": "巡查发现",
    "public": "群众举报",
    "hotline": "12345热线",
    "video": "视频发现",
    "referral": "部门移交",
}
OUTSIDE = frozenset({"public", "hotline", "video"})  # reported by outside systems: they await acceptance
RATED = frozenset({"public", "hotline"})  # a citizen with a tracking token, who may rate
RATINGS = (("satisfied", 0.7), ("basically_satisfied", 0.2), ("dissatisfied", 0.1))
SHIFTS = ((8, 16), (16, 24), (0, 8))  # day, evening and night shifts, local hours
WALK_MPS = 1.2  # patrol walking speed
M_PER_DEG = 111_320.0  # metres per degree of latitude (local, for short walks only)


def rng_for(*parts: object) -> random.Random:
    """A generator seeded from the parts (stable across runs and processes, unlike hash()).

    >>> rng_for("a", 1).random() == rng_for("a", 1).random() != rng_for("a", 2).random()
    True
    """
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def weighted(rng: random.Random, pairs) -> str:
    """One key of (key, weight) pairs, drawn by weight."""
    keys, weights = zip(*(pairs.items() if isinstance(pairs, dict) else pairs))
    return rng.choices(keys, weights)[0]


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: exact and fast for the small means of an hour's reports."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def arrivals(seed: object, start: datetime, end: datetime, per_day: float) -> list[datetime]:
    """Report times in [start, end): a Poisson process whose hourly rate follows HOURLY (per_day a day).

    Drawn per local clock hour from a generator of that hour, so a span cut in two gives the same times.

    >>> t0 = datetime(2026, 12, 1, tzinfo=UTC)
    >>> a = arrivals(1, t0, t0 + timedelta(days=2), 20)
    >>> t1, t2 = t0 + timedelta(days=1), t0 + timedelta(days=2)
    >>> a == arrivals(1, t0, t1, 20) + arrivals(1, t1, t2, 20)
    True
    """
    hour = start.replace(minute=0, second=0, microsecond=0)
    scale, out = per_day / sum(HOURLY), []
    while hour < end:
        rng = rng_for(seed, "arrivals", hour.isoformat())
        mean = scale * HOURLY[hour.astimezone(CST).hour]
        times = sorted(hour + timedelta(seconds=rng.uniform(0, 3600)) for _ in range(_poisson(rng, mean)))
        out += [t for t in times if start <= t < end]
        hour += timedelta(hours=1)
    return out


@dataclass(frozen=True)
class Fate:
    """What becomes of a report, decided when it arrives."""

    void: bool = False  # an outside report that is not a case
    returned: bool = False  # the first receiver says it is not theirs (回退)
    late_response: bool = False  # acknowledged or on scene after the response limit
    late_handling: bool = False  # handled after the handling limit
    extension: bool = False  # the receiver asks for more time
    support: bool = False  # the team asks for members of the adjacent grids
    send_back: bool = False  # the center finds the result wanting once (返工)
    rating: str | None = None  # the reporter's rating after closure (None: does not rate)


def fate_of(ref: str, channel: str) -> Fate:
    """The fate of the report with this reference (which carries the seed)."""
    rng = rng_for(ref, "fate")

    def chance(p: float) -> bool:
        return rng.random() < p

    return Fate(
        void=channel in OUTSIDE and chance(0.06),
        returned=chance(0.05),
        late_response=chance(0.1),
        late_handling=chance(0.08),
        extension=chance(0.07),
        support=chance(0.1),
        send_back=chance(0.06),
        rating=weighted(rng, RATINGS) if channel in RATED and chance(0.7) else None,
    )


@dataclass(frozen=True)
class TaskView:
    """One task of an event as the engine read it."""

    id: int
    kind: str  # handle or support
    receiver: str  # team:<code> or department:<code>
    status: str
    extension_pending: bool
    dispatched_at: datetime
    respond_by: datetime | None
    handle_by: datetime | None


@dataclass(frozen=True)
class EventView:
    """An event as the engine read it: what next_step decides from."""

    id: int
    ref: str
    channel: str
    status: str
    level: int
    support_requested: int
    last_at: datetime  # the latest step (supervision notes aside)
    steps: int  # how many steps it has had (supervision notes aside)
    done: frozenset[str]  # the actions it has had
    tasks: tuple[TaskView, ...]
    rated: bool = False


@dataclass(frozen=True)
class Planned:
    """The next step of an event: when, by whom (center, reporter or a receiver) and what."""

    at: datetime
    who: str
    action: str
    members: int = 0
    until: datetime | None = None
    rating: str | None = None
    note: str = ""


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


def _share(start: datetime, end: datetime | None, share: float, fallback: timedelta) -> datetime:
    """The moment a share of the span from start to end has passed (end unknown: start + fallback)."""
    return start + ((end - start) * share if end is not None else fallback)


CENTER_NOTES = {
    "accept": "受理",
    "void": "经核实不属于受理范围，不予立案",
    "dispatch": "派遣处置",
    "escalate": "非本级事权，提级至区指挥中心",
    "verify": "核查属实，处置到位",
    "send_back": "现场核查未处置到位，退回返工",
    "close": "已处置完毕，感谢您的反映",
    "approve_extension": "同意延期",
    "refuse_extension": "不同意延期，请按时办结",
}


def next_step(view: EventView, fate: Fate) -> Planned | None:
    """The next step of an event and when it is due (None: nothing more will happen to it)."""
    rng = rng_for(view.ref, view.steps)
    status = view.status
    if status == "reported":
        return _center(view, rng, "void" if fate.void else "accept", 3, 40)
    if status == "accepted":
        escalate = view.level == 1 and "return" in view.done
        return _center(view, rng, "escalate" if escalate else "dispatch", 2, 20)
    if status == "parked":
        return _center(view, rng, "restore", 24 * 60, 72 * 60)
    if status in ("dispatched", "acknowledged", "on_scene"):
        return _in_hand(view, fate, rng)
    if status == "handled":
        rework = fate.send_back and "send_back" not in view.done
        return _center(view, rng, "send_back" if rework else "verify", 10, 120)
    if status == "verified":
        return _center(view, rng, "close", 5, 60)
    if status == "closed" and fate.rating and not view.rated:
        return Planned(view.last_at + _minutes(rng, 60, 36 * 60), "reporter", "rate", rating=fate.rating)
    return None


def _center(view: EventView, rng: random.Random, action: str, low: float, high: float) -> Planned:
    return Planned(view.last_at + _minutes(rng, low, high), "center", action, note=CENTER_NOTES.get(action, ""))


def _in_hand(view: EventView, fate: Fate, rng: random.Random) -> Planned | None:
    """The earliest of: the center's answer to an extension or a support request, each task's next step."""
    options = []
    if any(t.extension_pending for t in view.tasks):
        options.append(_center(view, rng, "refuse_extension" if rng.random() < 0.25 else "approve_extension", 10, 90))
    if view.support_requested > 0:
        options.append(_center(view, rng, "confirm_support", 2, 10))
    for task in view.tasks:
        if task.status in ("dispatched", "acknowledged", "on_scene") and not task.extension_pending:
            options.append(_task_step(view, fate, task, rng))
    return min(options, key=lambda p: p.at) if options else None


def _task_step(view: EventView, fate: Fate, task: TaskView, rng: random.Random) -> Planned:
    """A receiver's next step on its task: acknowledge, arrive, ask for help or time, handle, or return it."""
    own = task.kind == "handle"
    if task.status == "dispatched":
        if own and fate.returned and "return" not in view.done:
            return _by(task, "return", task.dispatched_at + _minutes(rng, 5, 30), view, note="经核实不属于本单位职责")
        late = own and fate.late_response and task.receiver.startswith("department:")
        at = (
            task.respond_by + _minutes(rng, 5, 60)
            if late and task.respond_by
            else task.dispatched_at + _minutes(rng, 1, 8)
        )
        return _by(task, "acknowledge", at, view, note="已签收")
    if task.status == "acknowledged":
        late = own and fate.late_response and task.receiver.startswith("team:")
        at = (
            task.respond_by + _minutes(rng, 5, 45)
            if late and task.respond_by
            else _share(task.dispatched_at, task.respond_by, rng.uniform(0.3, 0.95), _minutes(rng, 10, 40))
        )
        return _by(task, "arrive", at, view, note="已到达现场")
    return _on_scene(view, fate, task, rng)


def _on_scene(view: EventView, fate: Fate, task: TaskView, rng: random.Random) -> Planned:
    if task.kind == "support":
        return _by(task, "handle", view.last_at + _minutes(rng, 20, 90), view, note="协助处置完毕")
    if fate.support and "request_support" not in view.done:
        return Planned(
            view.last_at + _minutes(rng, 2, 15),
            task.receiver,
            "request_support",
            members=rng.choice((1, 1, 2)),
            note="现场人手不足，请求相邻网格支援",
        )
    window = (task.handle_by - task.dispatched_at) if task.handle_by else timedelta(hours=4)
    if fate.extension and "request_extension" not in view.done and task.handle_by:
        at = view.last_at + (task.handle_by - view.last_at) * rng.uniform(0.3, 0.7)
        return Planned(
            max(at, view.last_at + timedelta(minutes=5)),
            task.receiver,
            "request_extension",
            until=task.handle_by + window * rng.uniform(0.5, 1.0),
            note="需协调相关单位，申请延期",
        )
    late = fate.late_handling and "send_back" not in view.done
    target = (
        task.handle_by + window * rng.uniform(0.05, 0.5)
        if late and task.handle_by
        else task.dispatched_at + window * rng.uniform(0.3, 0.95)
    )
    return _by(task, "handle", target, view, note="已处置完毕")


def _by(task: TaskView, action: str, at: datetime, view: EventView, note: str = "") -> Planned:
    """A receiver's step, never before the event's latest step."""
    return Planned(max(at, view.last_at + timedelta(seconds=30)), task.receiver, action, note=note)


# ------------------------------------------------------------------------------------------- duty and patrols


def shift_of(role: str, index: int) -> int:
    """The shift a member works (SHIFTS): grid leaders by day, the others in turn by their place in the team."""
    return 0 if role == "grid_leader" else index % len(SHIFTS)


def shift_start(shift: int, at: datetime) -> datetime | None:
    """When the current instance of the shift began (UTC), or None when the shift is not on at `at`.

    >>> shift_start(2, datetime(2026, 12, 1, 20, 0, tzinfo=UTC))  # 04:00 in China: the night shift is on
    datetime.datetime(2026, 12, 1, 16, 0, tzinfo=datetime.timezone.utc)
    >>> shift_start(0, datetime(2026, 12, 1, 20, 0, tzinfo=UTC)) is None
    True
    """
    local = at.astimezone(CST)
    begin, end = SHIFTS[shift]
    if not begin <= local.hour < end:
        return None
    return local.replace(hour=begin, minute=0, second=0, microsecond=0).astimezone(UTC)


def duty_on_shift(member: str, started: datetime, seed: object) -> str:
    """A member's status through one shift: mostly on patrol, some at the post, a few busy elsewhere."""
    return weighted(
        rng_for(seed, member, started.isoformat(), "duty"), (("on_patrol", 0.6), ("on_duty", 0.3), ("busy", 0.1))
    )


def _metres(origin: tuple[float, float], point: tuple[float, float]) -> tuple[float, float]:
    """Local east/north metres of a point from an origin (equirectangular: exact enough within a grid)."""
    k = math.cos(math.radians(origin[1]))
    return (point[0] - origin[0]) * M_PER_DEG * k, (point[1] - origin[1]) * M_PER_DEG


def _lonlat(origin: tuple[float, float], east: float, north: float) -> tuple[float, float]:
    k = math.cos(math.radians(origin[1]))
    return origin[0] + east / (M_PER_DEG * k), origin[1] + north / M_PER_DEG


def point_inside(rng: random.Random, polygon) -> tuple[float, float]:
    """A uniformly random point inside a (multi)polygon, by rejection in its bounds."""
    import shapely

    x0, y0, x1, y1 = polygon.bounds
    for _ in range(200):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if shapely.contains_xy(polygon, x, y):
            return x, y
    point = polygon.representative_point()
    return point.x, point.y


def patrol_route(rng: random.Random, polygon, *, wander: bool = False) -> tuple[tuple[float, float], ...]:
    """A closed patrol loop of 4-7 waypoints inside the grid; a wanderer's loop leaves it once, 80-200 m out."""
    points = [point_inside(rng, polygon) for _ in range(rng.randint(4, 7))]
    if wander:
        edge = polygon.boundary.interpolate(rng.random(), normalized=True)
        centre = polygon.representative_point()
        east, north = _metres((centre.x, centre.y), (edge.x, edge.y))
        length = math.hypot(east, north) or 1.0
        out = rng.uniform(80, 200)
        points.insert(1, _lonlat((edge.x, edge.y), east / length * out, north / length * out))
    return tuple(points)


def position_on_route(
    route: tuple[tuple[float, float], ...], seconds: float, speed: float = WALK_MPS
) -> tuple[float, float]:
    """Where a walker is after `seconds` going round the loop at `speed` m/s from its first waypoint.

    >>> route = ((118.8, 32.0), (118.801, 32.0))
    >>> position_on_route(route, 0) == route[0], position_on_route(route, 1e6)[1] == 32.0
    (True, True)
    """
    legs = [(a, b, math.hypot(*_metres(a, b))) for a, b in zip(route, route[1:] + route[:1])]
    total = sum(length for _, _, length in legs)
    if total == 0:
        return route[0]
    travelled = (seconds * speed) % total
    for a, b, length in legs:
        if travelled <= length and length > 0:
            f = travelled / length
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        travelled -= length
    return route[0]


def next_shift_start(shift: int, after: datetime) -> datetime:
    """The next start of a shift after a moment (UTC).

    >>> next_shift_start(0, datetime(2026, 12, 1, 1, 0, tzinfo=UTC))  # 09:00 in China: tomorrow 08:00
    datetime.datetime(2026, 12, 2, 0, 0, tzinfo=datetime.timezone.utc)
    """
    local = after.astimezone(CST)
    start = local.replace(hour=SHIFTS[shift][0], minute=0, second=0, microsecond=0)
    if start <= local:
        start += timedelta(days=1)
    return start.astimezone(UTC)
