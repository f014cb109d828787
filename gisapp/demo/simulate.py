"""The living demo county: members on shift post their positions, reports arrive on every channel, and
simulated receivers and centers take each event through its life cycle, all through the services the API
uses (duty.report_status, intake.submit_event, lifecycle.perform, tracking.rate, supervision.run_pass).

The decisions are pure (gisapp/demo/behaviour.py); this module reads what they need and writes what they
decide. One engine, two clocks: `lay_history` drives it with a simulated clock over past days (every
service is given `now=`, so deadlines, warnings, overdue tasks and escalations fall at simulated times),
and `Simulation.tick` drives it with the real clock beside the running app (`gisapp demo simulate`).
The simulation's events carry a client_ref starting with `sim-<seed>:` and their fate follows from it,
so a restarted simulation carries on with the open ones.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
from shapely import wkb
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.demo import behaviour as b
from gisapp.demo.names import mobiles, person_names
from gisapp.domain.intake import parse_event_report
from gisapp.domain.lifecycle import Action, Step
from gisapp.domain.permissions import Scope, event_scope
from gisapp.domain.security import ROLE_BINDING, Role
from gisapp.domain.supervision import Policy
from gisapp.errors import AppError, Conflict
from gisapp.services.access.accounts import Account
from gisapp.services.access.audit import Actor, record
from gisapp.services.command.duty import report_status
from gisapp.services.command.support import ensure_adjacency, support_candidates
from gisapp.services.events.intake import Submitter, submit_event
from gisapp.services.events.lifecycle import perform
from gisapp.services.events.supervision import run_pass
from gisapp.services.events.tracking import rate, tracking_token

log = logging.getLogger("gisapp.simulate")
POST_EVERY_S = (30, 60)  # an on-shift member posts its position this often
SWEEP = timedelta(hours=12)  # history: a supervision pass at least this often, besides the deadlines' own
SLOT = timedelta(hours=2)  # history: supervision passes are gathered on these boundaries
RETRIES = 6  # a refused step is looked at again after 30 min, 1 h, 2 h ... then left alone
SIM_CLIENT = "simulation"  # the client address of the simulated callers in the audit trail


@dataclass(frozen=True)
class Grid:
    code: str
    township: str
    team: str | None
    shape: object  # shapely (multi)polygon
    neighbours: tuple[str, ...]


@dataclass(frozen=True)
class Member:
    code: str
    team: str
    grid: str
    role: str
    index: int  # its place in its team (shifts take turns by it)


@dataclass(frozen=True)
class World:
    """What the simulation needs to know of the county, read once."""

    county: str
    grids: dict[str, Grid]
    members: tuple[Member, ...]
    categories: dict[str, tuple[tuple[str, str], ...]]  # kind -> (code, name) of its categories
    team_grid: dict[str, str]

    @property
    def grid_codes(self) -> tuple[str, ...]:
        return tuple(sorted(code for code, grid in self.grids.items() if grid.team))


def load_world(session: Session) -> World:
    """The county's grids (shapes, teams, neighbours), members and categories."""
    ensure_adjacency(session)
    county = session.execute(text("SELECT code FROM counties ORDER BY code LIMIT 1")).scalar_one()
    neighbours: dict[str, list[str]] = {}
    for g, n in session.execute(text("SELECT grid_code, neighbour_code FROM grid_adjacency ORDER BY 1, 2")):
        neighbours.setdefault(g, []).append(n)
    grids = {
        r.code: Grid(r.code, r.township_code, r.team, wkb.loads(bytes(r.geom)), tuple(neighbours.get(r.code, ())))
        for r in session.execute(
            text(
                "SELECT g.code, c.township_code, t.code AS team, ST_AsBinary(g.geom) AS geom FROM grids g "
                "JOIN communities c ON c.code = g.community_code LEFT JOIN teams t ON t.grid_code = g.code "
                "WHERE c.township_code LIKE :k || '%' ORDER BY g.code"
            ),
            {"k": county},
        )
    }
    team_grid = {g.team: g.code for g in grids.values() if g.team}
    rows = session.execute(text("SELECT code, team_code, role FROM members ORDER BY team_code, code")).all()
    members = tuple(
        Member(r.code, r.team_code, team_grid[r.team_code], r.role, i)
        for _, team in itertools.groupby(rows, key=lambda r: r.team_code)
        for i, r in enumerate(team)
        if r.team_code in team_grid
    )
    categories: dict[str, list[tuple[str, str]]] = {}
    for code, name, kind in session.execute(text("SELECT code, name, kind_code FROM categories ORDER BY code")):
        categories.setdefault(kind, []).append((code, name))
    return World(county, grids, members, {k: tuple(v) for k, v in categories.items()}, team_grid)


# ------------------------------------------------------------------------------------------ who acts


@dataclass(frozen=True)
class Caller:
    account: Account
    actor: Actor
    scope: Scope


def caller(role: Role, bound_to: str) -> Caller:
    """A simulated account of a role bound to an area or department (not stored: it only acts)."""
    name = f"sim-{role.value.split('_')[0]}-{bound_to}"
    return Caller(
        Account(0, name, role, ROLE_BINDING[role], bound_to),
        Actor(name, str(role), SIM_CLIENT),
        event_scope(str(role), bound_to, f"user:{name}"),
    )


def receiver_caller(world: World, receiver: str) -> Caller:
    """The account answering for a task's receiver: its grid's officer, or its department's staff."""
    kind, code = receiver.split(":", 1)
    if kind == "team":
        return caller(Role.GRID_OFFICER, world.team_grid[code])
    return caller(Role.DEPARTMENT_STAFF, code)


def center_caller(world: World, level: int, township: str) -> Caller:
    """The event's center: the township's dispatcher at level 1, the county commander at level 2."""
    return caller(Role.TOWNSHIP_DISPATCHER, township) if level == 1 else caller(Role.COUNTY_COMMANDER, world.county)


def submitter(world: World, channel: str, grid: Grid) -> Submitter:
    """Who reports on a channel: a patrolling officer, a department referring a case, or an outside system."""
    if channel == "patrol":
        who = caller(Role.GRID_OFFICER, grid.code)
        return Submitter(f"user:{who.account.username}", who.actor, world.county)
    if channel == "referral":
        who = caller(Role.COUNTY_COMMANDER, world.county)
        return Submitter(f"user:{who.account.username}", who.actor, world.county)
    code = {"public": "sim-app", "hotline": "sim-12345", "video": "sim-video"}[channel]
    return Submitter(f"integration:{code}", Actor(code, "integration", SIM_CLIENT), world.county, accepts=False)


# ------------------------------------------------------------------------------------------ reading events

VIEW_SQL = text("""
SELECT e.id, e.client_ref, e.channel, e.status, e.level, e.support_requested, e.township_code,
       e.rating IS NOT NULL AS rated, l.last_at, l.steps, l.done,
       (SELECT json_agg(json_build_array(t.id, t.kind,
                                         COALESCE('team:' || t.team_code, 'department:' || t.department_code),
                                         t.status, t.extension_pending, t.dispatched_at, t.respond_by, t.handle_by)
                        ORDER BY t.id) FROM event_tasks t WHERE t.event_id = e.id) AS tasks
FROM events e, LATERAL (SELECT max(at) AS last_at, count(*) AS steps, array_agg(DISTINCT action) AS done
                        FROM event_log WHERE event_id = e.id AND action <> 'supervise') l
WHERE e.id = :id
""")
HELD_SQL = text(
    "SELECT member_code FROM event_tasks WHERE kind = 'support' "
    "AND status IN ('dispatched', 'acknowledged', 'on_scene')"
)
OPEN_SQL = text("""
SELECT id FROM events WHERE client_ref LIKE :prefix
  AND (status NOT IN ('closed', 'voided') OR (status = 'closed' AND rating IS NULL AND closed_at > :since))
ORDER BY id
""")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def read_view(session: Session, event_id: int) -> tuple[b.EventView, object]:
    """The event as next_step sees it (one round trip), and its row (township, for the center)."""
    row = session.execute(VIEW_SQL, {"id": event_id}).one()
    tasks = tuple(
        b.TaskView(t[0], t[1], t[2], t[3], t[4], _time(t[5]), _time(t[6]), _time(t[7])) for t in row.tasks or ()
    )
    view = b.EventView(
        row.id,
        row.client_ref,
        row.channel,
        row.status,
        row.level,
        row.support_requested,
        row.last_at,
        row.steps,
        frozenset(row.done),
        tasks,
        row.rated,
    )
    return view, row


# ------------------------------------------------------------------------------------------ the engine


@dataclass
class Counts:
    events: int = 0
    steps: int = 0
    positions: int = 0
    supervision_passes: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Simulation:
    """The engine: a queue of due things (positions, arrivals, steps, supervision passes) run in time order."""

    session: Session
    key: bytes
    world: World
    seed: int = 1
    events_per_day: float = 15.0
    history: bool = False  # True: a simulated clock, intake unaudited per event, supervision passes here
    policy: Policy = field(default_factory=lambda: Policy(escalate_overdue=True))
    counts: Counts = field(default_factory=Counts)
    _queue: list = field(default_factory=list)
    _seq: itertools.count = field(default_factory=itertools.count)
    _duty: dict = field(default_factory=dict)  # member code -> the status it last reported
    _passes: set = field(default_factory=set)  # history: the supervision passes already queued
    _failures: dict = field(default_factory=dict)  # event id -> failed steps in a row
    _versions: dict = field(default_factory=dict)  # history: event id -> steps taken by the engine
    clock: datetime = datetime(2000, 1, 1, tzinfo=timezone.utc)  # the time of the item being done
    started: bool = False

    @property
    def prefix(self) -> str:
        return f"sim-{self.seed}:"

    def push(self, at: datetime, kind: str, payload=None) -> None:
        heapq.heappush(self._queue, (at, next(self._seq), kind, payload))

    def seconds_to_next(self, *, at_most: float = 5.0) -> float:
        """How long a live loop may sleep before something is due (at most `at_most`)."""
        if not self._queue:
            return at_most
        wait = (self._queue[0][0] - datetime.now(timezone.utc)).total_seconds()
        return min(max(wait, 0.05), at_most)

    def run_due(self, until: datetime, *, clock: datetime | None = None) -> None:
        """Do everything due up to `until`, each at its own time (history) or at `clock` (live)."""
        while self._queue and self._queue[0][0] <= until:
            at, _, kind, payload = heapq.heappop(self._queue)
            self.clock = clock or at
            getattr(self, f"_do_{kind}")(self.clock, payload)

    # -------------------------------------------------------------------------------------- arrivals

    def _do_draw(self, at: datetime, _payload) -> None:
        """Draw the reports of the rest of this clock hour and queue the next draw."""
        hour_end = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        for when in b.arrivals(self.seed, at, hour_end, self.events_per_day):
            self.push(when, "arrive", when)
        self.push(hour_end, "draw")

    def _do_arrive(self, at: datetime, drawn_at: datetime) -> None:
        event_id = self.report(at, drawn_at)
        if event_id is not None:
            self._follow(at, event_id)

    def report(self, at: datetime, drawn_at: datetime) -> int | None:
        """One report, through the intake service, somewhere in a demo grid; its event id."""
        ref = f"{self.prefix}{drawn_at.timestamp():.6f}"
        rng = b.rng_for(ref, "report")
        channel = b.weighted(rng, b.CHANNELS)
        grid = self.world.grids[rng.choice(self.world.grid_codes)]
        kinds = {k: w for k, w in b.KINDS_BY_CHANNEL[channel].items() if k in self.world.categories}
        category, name = rng.choice(self.world.categories[b.weighted(rng, kinds)])
        lon, lat = b.point_inside(rng, grid.shape)
        body = {
            "category": category,
            "channel": channel,
            "client_ref": ref,
            "description": f"{b.CHANNEL_NAMES[channel]}：{grid.code[-3:]}号网格内{name}",
            "location": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
        }
        if channel in b.RATED:
            people = np.random.default_rng(rng.randrange(2**32))
            body["reporter"] = {"name": person_names(people, 1)[0], "phone": mobiles(people, 1)[0]}
        try:
            result = submit_event(
                self.session,
                parse_event_report(body),
                by=submitter(self.world, channel, grid),
                audit_key=None if self.history else self.key,
                now=at,
            )
        except AppError as exc:
            log.warning("simulated report refused: %s %s", exc.code, exc.message)
            self.counts.failed += 1
            return None
        self.counts.events += result.created
        return result.event["id"]

    # -------------------------------------------------------------------------------------- life cycle

    def _do_step(self, at: datetime, payload) -> None:
        """The event's next step if it is due (else queued for when it is); then what follows it.

        The payload is an event id (read it and plan), or in history (event id, version, view, plan) planned
        earlier: nothing but the simulation changes an event then, so a plan still holds unless the event's
        version moved on (an escalation by the supervision pass)."""
        if isinstance(payload, tuple):
            event_id, version, view, row, plan = payload
            if self._versions.get(event_id, 0) != version:
                return
        else:
            event_id = payload
            view, row = read_view(self.session, event_id)
            plan = b.next_step(view, b.fate_of(view.ref, view.channel))
        if plan is None:
            return
        if plan.at > at:
            self._plan_later(event_id, view, row, plan)
            return
        self._versions[event_id] = self._versions.get(event_id, 0) + 1
        if self._act(at, view, row, plan):
            self.counts.steps += 1
            self._failures.pop(event_id, None)
            self._follow(at, event_id)
        elif self._failures.setdefault(event_id, 0) < RETRIES:  # a person may have stepped in: look again later
            self._failures[event_id] += 1
            self.push(at + timedelta(minutes=15) * 2 ** self._failures[event_id], "step", event_id)

    def _plan_later(self, event_id: int, view: b.EventView, row, plan: b.Planned) -> None:
        if self.history:
            self.push(plan.at, "step", (event_id, self._versions.get(event_id, 0), view, row, plan))
        else:  # live: people act on the events too, so the event is read again when the time comes
            self.push(plan.at, "step", event_id)

    def _follow(self, at: datetime, event_id: int) -> None:
        """After a step: plan the next one, and (history) the supervision passes its open tasks call for."""
        view, row = read_view(self.session, event_id)
        plan = b.next_step(view, b.fate_of(view.ref, view.channel))
        if plan is not None:
            self._plan_later(event_id, view, row, plan) if plan.at > at else self.push(at, "step", event_id)
        self._queue_supervision(view)

    def _act(self, at: datetime, view: b.EventView, row, plan: b.Planned) -> bool:
        """Do a planned step as its proper caller; False when the service refused it."""
        try:
            if plan.who == "reporter":
                rate(
                    self.session,
                    self.key,
                    tracking_token(self.key, view.id),
                    plan.rating,
                    "处理及时" if plan.rating != "dissatisfied" else "问题没有解决",
                    client_addr=SIM_CLIENT,
                    now=at,
                )
                return True
            who = (
                center_caller(self.world, view.level, row.township_code)
                if plan.who == "center"
                else receiver_caller(self.world, plan.who)
            )
            step = Step(
                Action(plan.action),
                note=plan.note,
                until=plan.until,
                members=self._members(view, plan, at) if plan.action == "confirm_support" else plan.members,
            )
            perform(self.session, self.key, who.account, who.actor, view.id, step, who.scope, now=at)
            return True
        except AppError as exc:
            log.info("simulated %s on event %s refused: %s", plan.action, view.id, exc.code)
            self.counts.failed += 1
            return False

    def _members(self, view: b.EventView, plan: b.Planned, at: datetime) -> tuple[str, ...]:
        """The members the center sends: the best support candidates (members around are asked where they are)."""
        wanted = max(1, view.support_requested)
        picks = support_candidates(self.session, view.id, limit=wanted, now=at)
        if not picks:
            self._call_in(view, at)
            picks = support_candidates(self.session, view.id, limit=wanted, now=at)
        return tuple(p["member"]["code"] for p in picks)

    def _call_in(self, view: b.EventView, at: datetime) -> None:
        """Members of the adjacent grids report where they are (history has no running positions);
        when none of them is free on shift, one is called in."""
        grid = self.session.execute(text("SELECT grid_code FROM events WHERE id = :id"), {"id": view.id}).scalar_one()
        held = set(self.session.execute(HELD_SQL).scalars())
        near = [m for m in self.world.members if m.grid in self.world.grids[grid].neighbours and m.code not in held]
        on_shift = [m for m in near if b.shift_start(b.shift_of(m.role, m.index), at)]
        for member in on_shift:
            self.post(member, at)
        if near and not any(self._duty.get(m.code) in ("on_duty", "on_patrol") for m in on_shift):
            self.post(near[0], at, status="on_duty")

    # -------------------------------------------------------------------------------------- supervision

    def _queue_supervision(self, view: b.EventView) -> None:
        """History: passes at the moments the event's open tasks reach a warning or a limit."""
        if not self.history:
            return
        for t in view.tasks:
            if t.status not in ("dispatched", "acknowledged", "on_scene"):
                continue
            for due in (t.respond_by, t.handle_by):
                if due is not None:
                    warn = t.dispatched_at + (due - t.dispatched_at) * self.policy.warn_share
                    for moment in (warn, due + timedelta(seconds=1)):
                        self._queue_pass(moment)

    def _queue_pass(self, moment: datetime) -> None:
        slot = _slot_after(max(moment, self.clock))
        if slot not in self._passes:
            self._passes.add(slot)
            self.push(slot, "supervise")

    def _do_supervise(self, at: datetime, _payload) -> None:
        self._passes.discard(at)
        result = run_pass(self.session, self.key, now=at, policy=self.policy)  # commits
        self.counts.supervision_passes += 1
        for event_id in result.escalated:  # the event moved on under its planned step
            self._versions[event_id] = self._versions.get(event_id, 0) + 1
            self.push(at, "step", event_id)

    def _do_sweep(self, at: datetime, _payload) -> None:
        self._do_supervise(at, None)
        self.push(at + SWEEP, "sweep")

    # -------------------------------------------------------------------------------------- duty

    def post(self, member: Member, at: datetime, status: str | None = None) -> None:
        """A member's duty report through the officer's service: on shift, where it is on its patrol loop."""
        shift = b.shift_of(member.role, member.index)
        started = b.shift_start(shift, at)
        if started is None and status is None:
            if self._duty.get(member.code) != "off_duty":
                self._report(member, "off_duty", None, at)
            return
        started = started or at
        status = status or b.duty_on_shift(member.code, started, self.seed)
        rng = b.rng_for(self.seed, member.code, started.isoformat(), "route")
        route = b.patrol_route(rng, self.world.grids[member.grid].shape, wander=rng.random() < 0.05)
        walked = 0.0 if status == "on_duty" else (at - started).total_seconds()  # at the post: the first waypoint
        self._report(member, status, b.position_on_route(route, walked), at)

    def _report(self, member: Member, status: str, position, at: datetime) -> None:
        actor = Actor(f"sim-member-{member.code}", str(Role.GRID_OFFICER), SIM_CLIENT)
        report_status(self.session, self.key, actor, None, status, position, now=at, member=member.code)
        self._duty[member.code] = status
        self.counts.positions += position is not None

    def _do_post(self, at: datetime, member: Member) -> None:
        self.post(member, at)
        shift = b.shift_of(member.role, member.index)
        on = b.shift_start(shift, at) is not None
        rng = b.rng_for(self.seed, member.code, at.isoformat(), "next")
        self.push(
            at + timedelta(seconds=rng.uniform(*POST_EVERY_S)) if on else b.next_shift_start(shift, at), "post", member
        )

    # -------------------------------------------------------------------------------------- the two clocks

    def start_live(self, now: datetime) -> None:
        """Queue every member's first report now (fresh positions at once), the open events, the arrivals."""
        self._duty = dict(self.session.execute(text("SELECT code, duty_status FROM members")).all())
        first = sorted(self.world.members, key=lambda m: b.shift_start(b.shift_of(m.role, m.index), now) is None)
        for member in first:  # those on shift first: their fresh positions come before the off-duty reports
            self.push(now, "post", member)
        since = now - timedelta(days=3)
        for event_id in self.session.execute(OPEN_SQL, {"prefix": self.prefix + "%", "since": since}).scalars():
            self.push(now, "step", event_id)
        self.push(now, "draw")
        self.started = True

    def tick(self, now: datetime | None = None) -> Counts:
        """One live tick: everything due by now, done now; committed. The first tick posts every position."""
        now = now or datetime.now(timezone.utc)
        if not self.started:
            self.start_live(now)
        try:
            self._run_live(now)
        finally:
            self.session.commit()
        return self.counts

    def _run_live(self, now: datetime) -> None:
        """Each due item in its own transaction, so a refused step does not undo the others."""
        while self._queue and self._queue[0][0] <= now:
            at, _, kind, payload = heapq.heappop(self._queue)
            try:
                getattr(self, f"_do_{kind}")(now, payload)
                self.session.commit()
            except Exception:
                self.session.rollback()
                log.exception("simulation: %s failed", kind)
                self.counts.failed += 1


def _slot_after(moment: datetime) -> datetime:
    """The first SLOT boundary at or after a moment."""
    epoch = datetime(2000, 1, 1, tzinfo=timezone.utc)
    slots = -(-(moment - epoch) // SLOT)
    return epoch + slots * SLOT


def lay_history(
    session: Session,
    key: bytes,
    *,
    start: datetime,
    end: datetime,
    seed: int = 1,
    events_per_day: float = 15.0,
    progress=None,
) -> Counts:
    """Events from start to end made by the simulation on a simulated clock; committed day by day.

    progress(days_done) is called after each simulated day."""
    session.execute(text("SET synchronous_commit = off"))  # a crash loses the last days, to be laid again
    sim = Simulation(session, key, load_world(session), seed=seed, events_per_day=events_per_day, history=True)
    sim.push(start, "draw")
    sim.push(start + SWEEP, "sweep")
    day, done = start, 0
    while day < end:
        day = min(day + timedelta(days=1), end)
        sim.run_due(day)
        session.commit()
        done += 1
        if progress:
            progress(done)
    record(
        session,
        key,
        Actor("demo-history", "system", SIM_CLIENT),
        "demo.history",
        details={"from": start.isoformat(), "to": end.isoformat(), "seed": seed, **sim.counts.as_dict()},
    )
    session.commit()
    return sim.counts


def start_simulation(session: Session, key: bytes, *, seed: int = 1, events_per_day: float = 3.0) -> Simulation:
    """The live simulation of the loaded county (its first tick posts every on-shift member's position)."""
    if not session.execute(text("SELECT EXISTS (SELECT 1 FROM counties)")).scalar_one():
        raise Conflict("no jurisdiction is loaded: run `gisapp demo load` first", code="no_jurisdiction")
    world = load_world(session)
    session.commit()
    return Simulation(session, key, world, seed=seed, events_per_day=events_per_day)
