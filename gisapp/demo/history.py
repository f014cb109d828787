"""A synthetic event history written straight into the database with COPY (for the evaluation benchmarks).

`write_history` puts N events over the last `years` years onto a jurisdiction that is already loaded
(normally the synthetic county 990101 of `gisapp demo synth`), with their tasks, the few log rows the
evaluation facts read, and supervision records. Rows are made day by day in chunks with numpy and sent
with psycopg2's ``copy_expert``: never more than one chunk in memory.

The shape: events spread over the grids with a skew (a log-normal weight per grid: a few busy grids),
a weekly and daily rhythm, a slow growth and a season; the five channels; categories of the catalogue
(their level decides the route: level 1 to the grid's team through the township sub-centre, level 2 to
the category's department through the county centre). Every event lives through its steps (accepted,
dispatched, acknowledged, on scene, handled, closed, rated) at drawn times; whatever falls after `until`
has not happened yet, so recent events are open. Some are voided, returned and dispatched again,
extended, reworked, supported, repeated, late (with an overdue supervision record), or stuck.

What the history leaves out (the evaluation facts do not read it): the log keeps only the rows the facts
read -- 'accept' where the acceptance fell on a later day than the report (elsewhere the facts' fallback
to the report time gives the same day), one 'handle' per handled event and one 'approve_extension' per
extension; no 'warned' supervision records; working minutes are clock minutes (no work calendar, the
categories' nominal clock limits); a rework is a count on the event, not replayed steps; a repeat points to
an earlier report of the same grid within a week of the same chunk; after a return the event keeps its first
route (assignee columns), its new task holds the new unit; department tasks have no member.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

import numpy as np

from gisapp.domain.areas import Level, prefixes

from . import catalogue
from .synth import COUNTY_CODE

TZ = ZoneInfo("Asia/Shanghai")
NULL = "\\N"
CHUNK_EVENTS = 50_000
DEFER_INDEXES_FROM = 200_000  # histories from this size drop and rebuild the secondary indexes around the COPY
POINTS_PER_GRID = 8
MIN = 60  # seconds
NEVER = np.iinfo(np.int64).max // 2  # the time of a step that has not happened (by `until`)
CHANNEL_P = (0.4, 0.2, 0.2, 0.12, 0.08)  # patrol, public, hotline, video, referral (as the demo history)
PRIORITY_WEIGHT = {"urgent": 1.0, "high": 2.0, "normal": 4.0, "low": 4.0}
# events per hour of the day (local), relative
HOUR_PROFILE = np.array(
    [
        0.2,
        0.15,
        0.1,
        0.1,
        0.1,
        0.2,
        0.5,
        1.2,
        2.0,
        2.4,
        2.4,
        2.0,
        1.4,
        1.6,
        2.2,
        2.3,
        2.1,
        1.8,
        1.4,
        1.2,
        1.0,
        0.8,
        0.5,
        0.3,
    ]
)
WEEKDAY_FACTOR = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.75, 0.65])  # Monday first
RATES = {
    "voided": 0.03,
    "returned": 0.03,
    "extended": 0.04,
    "reworked": 0.05,
    "stuck": 0.004,
    "support": 0.03,
    "repeat": 0.03,
    "rated": 0.35,
    "foreign_patrol": 0.15,
}
DESCRIPTIONS = ("发现{cat}，请核实处置。", "群众反映附近存在{cat}问题。", "网格员巡查上报：{cat}。")
SUBMITTERS = {
    "public": "integration:synth-public",
    "hotline": "integration:synth-hotline",
    "video": "system:video",
    "referral": "system:referral",
}

EVENT_COLUMNS = (
    "id",
    "category_code",
    "description",
    "channel",
    "status",
    "level",
    "priority",
    "geom",
    "reported_crs",
    "reported_lon",
    "reported_lat",
    "grid_code",
    "community_code",
    "township_code",
    "county_code",
    "center_code",
    "assignee_kind",
    "team_code",
    "department_code",
    "respond_by",
    "handle_by",
    "created_at",
    "submitted_by",
    "support_requested",
    "rework",
    "updated_at",
    "closed_at",
    "rating",
    "rated_at",
    "repeat_of",
    "repeat_count",
)
TASK_COLUMNS = (
    "id",
    "event_id",
    "kind",
    "team_code",
    "department_code",
    "member_code",
    "status",
    "extension_until",
    "dispatched_at",
    "acknowledged_at",
    "arrived_at",
    "handled_at",
    "respond_by",
    "handle_by",
    "supervision",
    "acknowledged_on_time",
    "response_work_minutes",
    "handled_on_time",
    "handling_work_minutes",
    "handled_by",
    "open_due",
)
LOG_COLUMNS = ("event_id", "at", "actor", "action", "from_status", "to_status", "task_id")
SUPERVISION_COLUMNS = (
    "event_id",
    "task_id",
    "at",
    "state",
    "time_limit",
    "due",
    "center_code",
    "county_code",
    "township_code",
    "escalated",
)


# ----------------------------------------------------------------------------- what the history sits on


@dataclass
class Directory:
    """The jurisdiction as arrays: grids (with points inside them), teams, members, categories, centres."""

    grids: np.ndarray  # grid codes (str)
    weight: np.ndarray  # each grid's share of the events (skewed)
    points: np.ndarray  # (grids, POINTS_PER_GRID, 2) lon/lat inside each grid
    team: np.ndarray  # the grid's team code, or "" when it has none
    leader: np.ndarray  # the submitted_by of the team leader's account, or ""
    members: list  # per grid: the member codes of its team
    township_center: np.ndarray  # per grid: the township sub-centre, or ""
    county_center: str
    categories: list[dict]
    category_p: np.ndarray


def ensure_reporting_accounts(cur, county: str) -> int:
    """One disabled grid-officer account per team leader of the county (the reporters of patrol events).

    Disabled, with a password hash that matches nothing: they exist so that patrol reports have a
    reporter whose team can be told apart (the self-handled figure), never to sign in.
    """
    cur.execute(
        """
        INSERT INTO users (username, display_name, role, grid_code, password_hash, disabled, member_code)
        SELECT 'synth.' || lower(m.code), m.name, 'grid_officer', t.grid_code, '!synthetic', true, m.code
        FROM members m JOIN teams t ON t.code = m.team_code
        WHERE m.role = 'grid_leader' AND t.grid_code LIKE %s || '%%'
        ON CONFLICT DO NOTHING""",
        (county,),
    )
    return cur.rowcount


def read_directory(cur, county: str, seed: int) -> Directory:
    """The county's grids, teams, members, centres and the catalogue, from the database."""
    cur.execute(
        """
        SELECT g.code, t.code, COALESCE('user:' || u.username, ''), COALESCE(c.code, ''),
               (SELECT array_agg(m.code ORDER BY m.code) FROM members m WHERE m.team_code = t.code),
               ST_AsBinary(ST_GeneratePoints(g.geom, %s, %s + 1))
        FROM grids g LEFT JOIN teams t ON t.grid_code = g.code
        LEFT JOIN members lm ON lm.team_code = t.code AND lm.role = 'grid_leader'
        LEFT JOIN users u ON u.member_code = lm.code
        LEFT JOIN command_centers c ON c.code = area_township(g.code) || '-C'
        WHERE g.code LIKE %s || '%%' ORDER BY g.code""",
        (POINTS_PER_GRID, abs(seed), county),
    )
    rows = cur.fetchall()
    if not rows:
        raise ValueError(f"no grids of county {county} in the database: load the jurisdiction first")
    cur.execute("SELECT code FROM command_centers WHERE code = %s", (f"{county}-C",))
    county_center = cur.fetchone()[0]
    rng = np.random.default_rng([seed, 0])
    weight = rng.lognormal(0.0, 1.0, size=len(rows))
    cats = catalogue.categories()
    w = np.array([PRIORITY_WEIGHT[c["priority"]] for c in cats])
    return Directory(
        grids=np.array([r[0] for r in rows]),
        weight=weight / weight.sum(),
        points=np.stack([_points(bytes(r[5])) for r in rows]),
        team=np.array([r[1] or "" for r in rows], dtype=object),
        leader=np.array([r[2] for r in rows], dtype=object),
        members=[r[4] or [] for r in rows],
        township_center=np.array([r[3] for r in rows], dtype=object),
        county_center=county_center,
        categories=cats,
        category_p=w / w.sum(),
    )


def _points(wkb: bytes) -> np.ndarray:
    """The points of a WKB MultiPoint, (n, 2)."""
    n = int.from_bytes(wkb[5:9], "little")
    raw = np.frombuffer(wkb, dtype=np.uint8, count=n * 21, offset=9).reshape(n, 21)
    return raw[:, 5:].copy().view("<f8").reshape(n, 2)


# ----------------------------------------------------------------------------- days and chunks


def day_counts(events: int, first: date, days: int, seed: int) -> np.ndarray:
    """Events per day: a weekly rhythm, a season and a slow growth, drawn multinomially."""
    rng = np.random.default_rng([seed, 1])
    ordinal = np.arange(days)
    weekday = (first.weekday() + ordinal) % 7
    doy = np.array([(first + timedelta(days=int(i))).timetuple().tm_yday for i in ordinal])
    p = WEEKDAY_FACTOR[weekday] * (1 + 0.15 * np.sin(2 * np.pi * (doy - 100) / 365)) * np.linspace(0.85, 1.15, days)
    return rng.multinomial(events, p / p.sum())


def chunks(counts: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Runs of whole days [first, stop) holding about `size` events each."""
    out, start, held = [], 0, 0
    for i, n in enumerate(counts.tolist()):
        held += n
        if held >= size:
            out.append((start, i + 1))
            start, held = i + 1, 0
    if start < len(counts):
        out.append((start, len(counts)))
    return out


# ----------------------------------------------------------------------------- writing


@dataclass
class Counts:
    events: int = 0
    tasks: int = 0
    log: int = 0
    supervisions: int = 0
    indexes_rebuilt: int = 0
    copy_seconds: float = 0.0  # generating and copying the rows (the triggers on)
    index_seconds: float = 0.0  # creating the dropped indexes again


def write_history(
    conn,
    *,
    events: int,
    years: int = 2,
    seed: int = 1,
    until: datetime | None = None,
    county: str = COUNTY_CODE,
    chunk: int = CHUNK_EVENTS,
    defer_indexes_from: int = DEFER_INDEXES_FROM,
    progress: Callable[[int], None] = lambda n: None,
) -> Counts:
    """N events over the `years` years before `until` (default: today's midnight in the county), by COPY,
    in the connection's transaction (the caller commits). The same seed, sizes, `until` and `chunk` give
    the same rows."""
    until = until or datetime.combine(datetime.now(TZ).date(), datetime.min.time(), tzinfo=TZ)
    first = _years_before(until.astimezone(TZ).date(), years)
    days = (until.astimezone(TZ).date() - first).days
    cur = conn.cursor()
    cur.execute("SET LOCAL statement_timeout = 0")
    ensure_reporting_accounts(cur, county)
    directory = read_directory(cur, county, seed)
    counts = day_counts(events, first, days, seed)
    event_id, task_id = _reserve_ids(cur, events)
    deferred = _drop_secondary_indexes(cur) if events >= defer_indexes_from else []
    started = time.monotonic()
    total = Counts()
    for index, (d0, d1) in enumerate(chunks(counts, chunk)):
        rng = np.random.default_rng([seed, 2, index])
        batch = make_chunk(rng, directory, first, counts[d0:d1], d0, until, event_id, task_id)
        _copy_chunk(cur, batch, total)
        event_id += batch.n_events
        task_id += batch.n_tasks
        progress(batch.n_events)
    cur.execute("SELECT setval(pg_get_serial_sequence('events', 'id'), %s)", (event_id - 1,))
    cur.execute("SELECT setval(pg_get_serial_sequence('event_tasks', 'id'), %s)", (max(task_id - 1, 1),))
    total.copy_seconds = time.monotonic() - started
    for definition in deferred:
        cur.execute(definition)
    total.indexes_rebuilt, total.index_seconds = len(deferred), time.monotonic() - started - total.copy_seconds
    return total


HISTORY_TABLES = ("events", "event_tasks", "event_log", "supervisions")


def _drop_secondary_indexes(cur) -> list[str]:
    """Drop the indexes of the history's tables that no constraint needs; their definitions, to create them again.

    A bulk load builds an index faster at the end than row by row (the GiST indexes of the points above all);
    primary keys, unique constraints and foreign keys stay, and so do the triggers: every row is checked.
    """
    cur.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
          AND NOT i.indisunique
        ORDER BY 1""",
        (list(HISTORY_TABLES),),
    )
    found = cur.fetchall()
    for name, _ in found:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _, definition in found]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _reserve_ids(cur, events: int) -> tuple[int, int]:
    """The first event and task ids of the history; the sequences are moved past the ids it may use."""
    cur.execute("LOCK TABLE events, event_tasks IN SHARE ROW EXCLUSIVE MODE")
    cur.execute("SELECT COALESCE(max(id), 0) + 1 FROM events")
    event_id = cur.fetchone()[0]
    cur.execute("SELECT COALESCE(max(id), 0) + 1 FROM event_tasks")
    task_id = cur.fetchone()[0]
    return event_id, task_id


def _copy_chunk(cur, batch: "Chunk", total: Counts) -> None:
    for table, columns, text, attr in (
        ("events", EVENT_COLUMNS, batch.events, "events"),
        ("event_tasks", TASK_COLUMNS, batch.tasks, "tasks"),
        ("event_log", LOG_COLUMNS, batch.log, "log"),
        ("supervisions", SUPERVISION_COLUMNS, batch.supervisions, "supervisions"),
    ):
        if text:
            cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(text))
            setattr(total, attr, getattr(total, attr) + text.count("\n"))


# ----------------------------------------------------------------------------- one chunk of days


@dataclass
class Chunk:
    n_events: int
    n_tasks: int
    events: str
    tasks: str
    log: str
    supervisions: str


def make_chunk(
    rng, d: Directory, first: date, counts: np.ndarray, day0: int, until: datetime, event_id: int, task_id: int
) -> Chunk:
    """The rows of the events reported on some consecutive days, as COPY text."""
    ev = draw_events(rng, d, first, counts, day0)
    ev["id"] = event_id + np.arange(ev["n"])
    life = draw_life(rng, d, ev, int(until.timestamp()))
    tasks = build_tasks(rng, d, ev, life, task_id)
    return Chunk(
        ev["n"],
        tasks["n"],
        format_events(d, ev, life),
        format_tasks(tasks),
        format_log(ev, life, tasks),
        format_supervisions(d, ev, tasks),
    )


def draw_events(rng, d: Directory, first: date, counts: np.ndarray, day0: int) -> dict:
    """When, where, how and what: the reports of the days, oldest first."""
    n = int(counts.sum())
    midnight = int(datetime.combine(first, datetime.min.time(), tzinfo=TZ).timestamp())
    day = np.repeat(np.arange(day0, day0 + len(counts)), counts)
    hour = rng.choice(24, size=n, p=HOUR_PROFILE / HOUR_PROFILE.sum())
    created = np.sort(midnight + day * 86_400 + hour * 3600 + rng.integers(0, 3600, size=n))
    grid = rng.choice(len(d.grids), size=n, p=d.weight)
    cat = rng.choice(len(d.categories), size=n, p=d.category_p)
    channel = rng.choice(len(catalogue.CHANNELS), size=n, p=CHANNEL_P)
    point = d.points[grid, rng.integers(0, POINTS_PER_GRID, size=n)]
    level = np.array([c["level"] for c in d.categories])[cat]
    has_team = d.team[grid] != ""
    to_team = (level == 1) & has_team & (d.township_center[grid] != "")
    return {
        "n": n,
        "created": created,
        "grid": grid,
        "cat": cat,
        "channel": channel,
        "point": point,
        "level": np.where(to_team, 1, 2),
        "to_team": to_team,
    }


def _lognormal(rng, median: np.ndarray, sigma: float) -> np.ndarray:
    return np.maximum(60, median * rng.lognormal(0.0, sigma, size=len(median))).astype(np.int64)


def draw_life(rng, d: Directory, ev: dict, until: int) -> dict:
    """The times of every step of each event (seconds); `never` for steps that do not come."""
    n, created = ev["n"], ev["created"]
    cats = d.categories
    respond = np.array([c["response_minutes"] for c in cats])[ev["cat"]] * MIN
    handle = np.array([c["handling_minutes"] for c in cats])[ev["cat"]] * MIN
    flags = {k: rng.random(n) < p for k, p in RATES.items()}
    accept = np.where(flags["voided"], NEVER, created + _accept_lag(rng, ev))  # voided before acceptance
    dispatch = accept + rng.integers(1, 10, size=n) * MIN
    returned_at = np.where(flags["returned"], dispatch + rng.integers(20, 120, size=n) * MIN, NEVER)
    start = np.where(flags["returned"], returned_at + rng.integers(5, 30, size=n) * MIN, dispatch)
    ack = start + _lognormal(rng, 0.35 * respond, 0.8)
    arrive = ack + rng.integers(5, 40, size=n) * MIN
    limit = start + handle
    extended_at = np.where(flags["extended"], start + handle // 2, NEVER)
    extension_until = np.where(flags["extended"], limit + handle, NEVER)
    handled = np.maximum(
        arrive + MIN,
        start
        + _lognormal(rng, 0.35 * handle, 0.9)
        + flags["extended"] * (handle * rng.uniform(0.6, 1.4, size=n)).astype(np.int64),
    )
    handled = np.where(flags["stuck"], NEVER, handled)
    closed = np.where(handled < NEVER // 2, handled + _lognormal(rng, np.full(n, 2 * 3600), 0.8), NEVER)
    rated = np.where(flags["rated"] & (closed < NEVER // 2), closed + rng.integers(1, 48, size=n) * 3600, NEVER)
    voided = np.where(flags["voided"], created + rng.integers(5, 60, size=n) * MIN, NEVER)
    life = {
        "accept": accept,
        "dispatch": dispatch,
        "returned": returned_at,
        "start": start,
        "ack": ack,
        "arrive": arrive,
        "handled": handled,
        "closed": closed,
        "rated": rated,
        "voided": voided,
        "respond_by": start + respond,
        "limit": limit,
        "extended": extended_at,
        "extension_until": extension_until,
        "event_respond_by": created + respond,
        "event_handle_by": created + handle,
        "rework": np.where(flags["reworked"], 1 + (rng.random(n) < 0.2), 0),
        "support": flags["support"],
        "repeat": flags["repeat"],
        "foreign_patrol": flags["foreign_patrol"],
        "rating": rng.choice(3, size=n, p=(0.75, 0.18, 0.07)),
        "until": until,
    }
    for step in (
        "accept",
        "dispatch",
        "returned",
        "start",
        "ack",
        "arrive",
        "handled",
        "closed",
        "rated",
        "voided",
        "extended",
    ):
        life[step] = np.where(life[step] <= until, life[step], NEVER)  # after `until`: not yet
    life["rework"] = np.where(life["handled"] < NEVER, life["rework"], 0)
    return life


def _accept_lag(rng, ev: dict) -> np.ndarray:
    """Patrol reports are taken at once; the others within minutes, and at night the next morning."""
    n = ev["n"]
    lag = np.where(ev["channel"] == 0, rng.integers(0, 3, size=n) * MIN, _lognormal(rng, np.full(n, 8 * MIN), 0.9))
    local_hour = ((ev["created"] + 8 * 3600) // 3600) % 24
    night = (ev["channel"] != 0) & ((local_hour >= 22) | (local_hour < 7)) & (rng.random(n) < 0.6)
    morning = (ev["created"] + 8 * 3600) // 86_400 * 86_400 - 8 * 3600 + 8 * 3600  # 08:00 local that day
    morning = np.where(local_hour >= 22, morning + 86_400, morning)
    return np.where(night, morning - ev["created"] + rng.integers(0, 60, size=n) * MIN, lag)


def status_of(life: dict) -> np.ndarray:
    """The event's status at `until`: the last step that happened."""
    status = np.full(len(life["accept"]), "reported", dtype=object)
    for step, name in (
        ("accept", "accepted"),
        ("dispatch", "dispatched"),
        ("ack", "acknowledged"),
        ("arrive", "on_scene"),
        ("handled", "handled"),
        ("closed", "closed"),
    ):
        status[life[step] < NEVER] = name
    status[life["voided"] < NEVER] = "voided"
    # a returned task sends the event back to the centre until it is dispatched again
    waiting = (life["returned"] < NEVER) & (life["start"] == NEVER)
    status[waiting & (life["voided"] == NEVER)] = "accepted"
    return status


# ----------------------------------------------------------------------------- tasks


def _task_block(
    ev_idx,
    kind,
    team,
    dept,
    member,
    dispatched,
    ack,
    arrive,
    handled,
    returned,
    respond_by,
    limit,
    extension_until,
    until: int,
) -> dict:
    """Task rows (arrays) of some events; the status and the judgement of each step follow from the times."""
    kind, team, dept, member = (
        np.broadcast_to(np.asarray(v, dtype=object), ev_idx.shape).copy() for v in (kind, team, dept, member)
    )
    due = np.where(extension_until < NEVER, extension_until, limit)
    status = np.full(len(ev_idx), "dispatched", dtype=object)
    status[ack < NEVER] = "acknowledged"
    status[arrive < NEVER] = "on_scene"
    status[handled < NEVER] = "handled"
    status[returned < NEVER] = "returned"
    is_open = np.isin(status, ("dispatched", "acknowledged", "on_scene"))
    response_late = np.where(ack < NEVER, ack > respond_by, respond_by < until)
    handling_late = (kind == "handle") & np.where(handled < NEVER, handled > due, is_open & (due < until))
    return {
        "event": ev_idx,
        "kind": kind,
        "team": team,
        "dept": dept,
        "member": member,
        "status": status,
        "dispatched": dispatched,
        "ack": ack,
        "arrive": arrive,
        "handled": handled,
        "respond_by": respond_by,
        "limit": limit,
        "extension_until": extension_until,
        "due": due,
        "open": is_open,
        "response_late": response_late & (returned == NEVER),
        "handling_late": handling_late,
    }


def build_tasks(rng, d: Directory, ev: dict, life: dict, first_id: int) -> dict:
    """The handling tasks (a returned first one, the main one) and the support tasks of the events."""
    n, g = ev["n"], ev["grid"]
    dept = np.array([c["department"] for c in d.categories], dtype=object)[ev["cat"]]
    team = d.team[g]
    unit_team = np.where(ev["to_team"], team, "")
    unit_dept = np.where(ev["to_team"], "", dept)
    never = np.full(n, NEVER)
    blocks = []
    back = np.flatnonzero(life["returned"] < NEVER)  # dispatched, then returned to the centre
    blocks.append(
        _select(
            _task_block(
                np.arange(n),
                "handle",
                unit_team,
                unit_dept,
                "",
                life["dispatch"],
                never,
                never,
                never,
                life["returned"],
                life["dispatch"] + (life["respond_by"] - life["start"]),
                life["dispatch"] + (life["limit"] - life["start"]),
                never,
                0,
            ),
            back,
        )
    )
    # the main task: to the other unit after a return (team -> department, department -> team when there is one)
    again = life["returned"] < NEVER
    main_team = np.where(again, np.where(ev["to_team"], "", team), unit_team)
    main_dept = np.where(main_team == "", dept, "")
    until = int(life["until"])
    extension = np.where(life["extended"] < NEVER, life["extension_until"], NEVER)
    main = _task_block(
        np.arange(n),
        "handle",
        main_team,
        main_dept,
        "",
        life["start"],
        life["ack"],
        np.where(main_team != "", life["arrive"], NEVER),
        life["handled"],
        never,
        life["respond_by"],
        life["limit"],
        extension,
        until,
    )
    main["handled_by"] = _members(rng, d, g, main_team != "")
    started = np.flatnonzero(life["start"] < NEVER)
    blocks.append(_select(main, started))
    support = _support_tasks(rng, d, ev, life, main, until)
    blocks.append(support)
    life["support_requested"] = np.bincount(support["event"], minlength=n)
    tasks = {k: np.concatenate([b.get(k, np.full(len(b["event"]), "", dtype=object)) for b in blocks]) for k in main}
    tasks["n"] = len(tasks["event"])
    tasks["id"] = first_id + np.arange(tasks["n"])
    tasks["event_id"] = ev["id"][tasks["event"]]
    return tasks


def _select(block: dict, idx: np.ndarray) -> dict:
    return {k: v[idx] for k, v in block.items()}


def _members(rng, d: Directory, grids: np.ndarray, where: np.ndarray) -> np.ndarray:
    """A member of each grid's team (where asked and the team has members), else ""."""
    pick = rng.random(len(grids))
    out = np.full(len(grids), "", dtype=object)
    for i in np.flatnonzero(where).tolist():
        crew = d.members[grids[i]]
        if crew:
            out[i] = crew[int(pick[i] * len(crew))]
    return out


def _support_tasks(rng, d: Directory, ev: dict, life: dict, main: dict, until: int) -> dict:
    """Support (增援) from a member of the same team, sent once the team acknowledged."""
    want = life["support"] & (main["team"] != "") & (life["ack"] < NEVER)
    idx = np.flatnonzero(want)
    member = _members(rng, d, ev["grid"][idx], np.ones(len(idx), bool))
    idx, member = idx[member != ""], member[member != ""]
    sent = life["ack"][idx] + 10 * MIN
    sent = np.where(sent <= until, sent, NEVER)
    idx, member, sent = idx[sent < NEVER], member[sent < NEVER], sent[sent < NEVER]
    ack = _cut(sent + rng.integers(5, 20, size=len(idx)) * MIN, until)
    arrive = _cut(ack + rng.integers(5, 30, size=len(idx)) * MIN, until)
    handled = np.where(arrive < NEVER, np.maximum(arrive + MIN, life["handled"][idx]), NEVER)
    respond = life["respond_by"][idx] - life["start"][idx]
    limit = life["limit"][idx] - life["start"][idx]
    block = _task_block(
        idx,
        "support",
        main["team"][idx],
        np.full(len(idx), "", dtype=object),
        member,
        sent,
        ack,
        arrive,
        _cut(handled, until),
        np.full(len(idx), NEVER),
        sent + respond,
        sent + limit,
        np.full(len(idx), NEVER),
        until,
    )
    block["handled_by"] = np.full(len(idx), "", dtype=object)
    return block


def _cut(times: np.ndarray, until: int) -> np.ndarray:
    return np.where(times <= until, times, NEVER)


# ----------------------------------------------------------------------------- COPY text


def _text(columns: list) -> str:
    """Rows of tab-separated values from column lists of strings."""
    if not len(columns[0]):
        return ""
    return "\n".join(map("\t".join, zip(*columns))) + "\n"


def _ts(times: np.ndarray) -> np.ndarray:
    """Timestamps as text (UTC), NULL for steps that did not happen."""
    ok = times < NEVER
    text = np.datetime_as_string(np.where(ok, times, 0).astype("datetime64[s]"), unit="s", timezone="UTC")
    return np.where(ok, text, NULL).astype(object)


def _str(values: np.ndarray) -> list:
    return [NULL if v == "" else v for v in values.tolist()]


def _bool(flags: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    out = np.where(flags, "t", "f").astype(object)
    return out if known is None else np.where(known, out, NULL)


def _ewkb_hex(points: np.ndarray) -> list[str]:
    """Points as hex EWKB with SRID 4326 (what geometry's text input takes fastest)."""
    raw = np.zeros(len(points), dtype=[("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])
    raw["order"], raw["type"], raw["srid"] = 1, 0x20000001, 4326
    raw["x"], raw["y"] = points[:, 0], points[:, 1]
    hexed = raw.tobytes().hex()
    return [hexed[i : i + 50] for i in range(0, len(hexed), 50)]


def _repeats(ev: dict, life: dict) -> tuple[np.ndarray, np.ndarray]:
    """repeat_of (a report in the same grid within a week before, same chunk) and each event's repeat_count."""
    n = ev["n"]
    order = np.lexsort((ev["created"], ev["grid"]))
    prev = np.full(n, -1)
    same = ev["grid"][order][1:] == ev["grid"][order][:-1]
    close = ev["created"][order][1:] - ev["created"][order][:-1] < 7 * 86_400
    prev[order[1:][same & close]] = order[:-1][same & close]
    repeat = life["repeat"] & (prev >= 0) & (life["accept"] < NEVER)
    of = np.where(repeat, prev, -1)
    count = np.bincount(of[of >= 0], minlength=n)
    return of, count


def format_events(d: Directory, ev: dict, life: dict) -> str:
    """The events as COPY text (EVENT_COLUMNS)."""
    cats, g = d.categories, ev["grid"]
    code = d.grids[g]
    cat = np.array([c["code"] for c in cats], dtype=object)[ev["cat"]]
    names = [c["name"] for c in cats]
    channel = np.array(catalogue.CHANNELS, dtype=object)[ev["channel"]]
    status = status_of(life)
    of, count = _repeats(ev, life)
    closed = life["closed"]
    rated = np.where(closed < NEVER, life["rated"], NEVER)
    last = np.max(
        np.stack(
            [
                np.where(life[k] < NEVER, life[k], 0)
                for k in ("accept", "dispatch", "ack", "arrive", "handled", "closed", "rated", "voided")
            ]
        ),
        axis=0,
    )
    return _text(
        [
            ev["id"].astype(str).tolist(),
            cat.tolist(),
            [DESCRIPTIONS[i % 3].format(cat=names[c]) for i, c in enumerate(ev["cat"].tolist())],
            channel.tolist(),
            status.tolist(),
            ev["level"].astype(str).tolist(),
            np.array([c["priority"] for c in cats], dtype=object)[ev["cat"]].tolist(),
            _ewkb_hex(ev["point"]),
            ["EPSG:4326"] * ev["n"],
            np.round(ev["point"][:, 0], 7).astype(str).tolist(),
            np.round(ev["point"][:, 1], 7).astype(str).tolist(),
            code.tolist(),
            prefixes(code.tolist(), Level.COMMUNITY),
            prefixes(code.tolist(), Level.TOWNSHIP),
            prefixes(code.tolist(), Level.COUNTY),
            np.where(ev["to_team"], d.township_center[g], d.county_center).tolist(),
            np.where(ev["to_team"], "team", "department").tolist(),
            _str(np.where(ev["to_team"], d.team[g], "")),
            _str(np.where(ev["to_team"], "", np.array([c["department"] for c in cats], dtype=object)[ev["cat"]])),
            _ts(life["event_respond_by"]).tolist(),
            _ts(life["event_handle_by"]).tolist(),
            _ts(ev["created"]).tolist(),
            _submitters(d, ev, life).tolist(),
            life["support_requested"].astype(str).tolist(),
            life["rework"].astype(str).tolist(),
            _ts(np.where(last > 0, last, NEVER)).tolist(),
            _ts(closed).tolist(),
            _str(
                np.where(
                    rated < NEVER,
                    np.array(["satisfied", "basically_satisfied", "dissatisfied"], dtype=object)[life["rating"]],
                    "",
                )
            ),
            _ts(rated).tolist(),
            [NULL if i < 0 else str(v) for i, v in zip(of.tolist(), ev["id"][np.maximum(of, 0)].tolist())],
            count.astype(str).tolist(),
        ]
    )


def _submitters(d: Directory, ev: dict, life: dict) -> np.ndarray:
    """Patrol reports come from the grid leader's account (some from the next grid's); the rest from systems."""
    g = np.where(life["foreign_patrol"], (ev["grid"] + 1) % len(d.grids), ev["grid"])
    leader = d.leader[g]
    patrol = np.where(leader != "", leader, "system:patrol")
    other = np.array([SUBMITTERS.get(c, "system:import") for c in catalogue.CHANNELS], dtype=object)[ev["channel"]]
    return np.where(ev["channel"] == 0, patrol, other)


def format_tasks(t: dict) -> str:
    """The tasks as COPY text (TASK_COLUMNS)."""
    acked, handled = t["ack"] < NEVER, t["handled"] < NEVER
    supervised = t["response_late"] | t["handling_late"]
    return _text(
        [
            t["id"].astype(str).tolist(),
            t["event_id"].astype(str).tolist(),
            t["kind"].tolist(),
            _str(t["team"]),
            _str(t["dept"]),
            _str(t["member"]),
            t["status"].tolist(),
            _ts(t["extension_until"]).tolist(),
            _ts(t["dispatched"]).tolist(),
            _ts(t["ack"]).tolist(),
            _ts(t["arrive"]).tolist(),
            _ts(t["handled"]).tolist(),
            _ts(t["respond_by"]).tolist(),
            _ts(t["limit"]).tolist(),
            np.where(supervised, "overdue", "on_time").tolist(),
            _bool(~t["response_late"], acked).tolist(),
            np.where(acked, np.round((t["ack"] - t["dispatched"]) / 60, 1).astype(str), NULL).tolist(),
            _bool(~t["handling_late"], handled & (t["kind"] == "handle")).tolist(),
            np.where(handled, np.round((t["handled"] - t["dispatched"]) / 60, 1).astype(str), NULL).tolist(),
            _str(np.where(handled, t["handled_by"], "")),
            _ts(np.where(t["open"] & (t["kind"] == "handle"), t["due"], NEVER)).tolist(),
        ]
    )


def format_log(ev: dict, life: dict, t: dict) -> str:
    """The log rows the facts read: late acceptances, one 'handle' per handled event, extensions approved."""
    local_day = lambda s: (s + 8 * 3600) // 86_400  # noqa: E731 (China has no daylight-saving time)
    late = np.flatnonzero((life["accept"] < NEVER) & (local_day(life["accept"]) != local_day(ev["created"])))
    main = (t["kind"] == "handle") & (t["status"] != "returned")
    handled = np.flatnonzero(main & (t["handled"] < NEVER))
    extended = np.flatnonzero(main & (life["extended"][t["event"]] < NEVER))
    rows = [
        (ev["id"][late], life["accept"][late], "accept", "reported", "accepted", np.full(len(late), NULL)),
        (t["event_id"][handled], t["handled"][handled], "handle", "on_scene", "handled", t["id"][handled]),
        (
            t["event_id"][extended],
            life["extended"][t["event"][extended]],
            "approve_extension",
            None,
            None,
            t["id"][extended],
        ),
    ]
    columns = [[], [], [], [], [], [], []]
    for ids, at, action, before, after, task in rows:
        k = len(ids)
        for col, values in zip(
            columns,
            (
                ids.astype(str).tolist(),
                _ts(at).tolist(),
                ["synthetic"] * k,
                [action] * k,
                [before or NULL] * k,
                [after or NULL] * k,
                [str(x) for x in task.tolist()],
            ),
        ):
            col.extend(values)
    return _text(columns)


def format_supervisions(d: Directory, ev: dict, t: dict) -> str:
    """An 'overdue' record for each limit a task missed (response, handling), at its due time."""
    columns = [[] for _ in SUPERVISION_COLUMNS]
    for limit, late, due in (
        ("response", t["response_late"], t["respond_by"]),
        ("handling", t["handling_late"], t["due"]),
    ):
        i = np.flatnonzero(late)
        g = ev["grid"][t["event"][i]]
        code = d.grids[g]
        center = np.where(ev["to_team"][t["event"][i]], d.township_center[g], d.county_center)
        for col, values in zip(
            columns,
            (
                t["event_id"][i].astype(str).tolist(),
                t["id"][i].astype(str).tolist(),
                _ts(due[i]).tolist(),
                ["overdue"] * len(i),
                [limit] * len(i),
                _ts(due[i]).tolist(),
                center.tolist(),
                prefixes(code.tolist(), Level.COUNTY),
                prefixes(code.tolist(), Level.TOWNSHIP),
                ["f"] * len(i),
            ),
        ):
            col.extend(values)
    return _text(columns)
