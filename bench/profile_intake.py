"""Where an intake request's time goes: the real app and the anchor, in process, no HTTP server.

Flask's test client drives each app (no gunicorn, no sockets to the client, one thread), with
timers on every SQL statement (SQLAlchemy cursor events; psycopg2 sends BEGIN with the first
statement of a transaction, so that round trip is counted in it), on the pool's pre-ping,
on COMMIT, on marshmallow's output dump and on the report validation, and around three blocks
timed as a whole: the API key look-up (authentication), the rate-limit counter (its own short
transaction on a second pooled connection, COMMIT included) and the event's audit record (advisory
lock, last hash, HMAC, INSERT). What is left is Flask/APIFlask, JSON and the service's own Python.
The app is called as the bench's integration (X-API-Key), with its intake rate limits on but
far above what is sent. A cProfile listing goes to bench/out/.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections import defaultdict

from sqlalchemy import event

from bench.common import OUT, log
from bench.http_bench import UNREACHED_RATE_LIMIT, make_body, request_headers

CLOCK = time.perf_counter


def _classify(statement: str) -> str:
    s = " ".join(statement.split())
    if s.startswith("PREPARE"):
        return "sql: PREPARE (once per connection)"
    if s.startswith("EXECUTE gisapp_intake_context"):
        return "sql: category + locate (one query)"
    if s.startswith("EXECUTE gisapp_intake_insert"):
        return "sql: INSERT event + log"
    if s.startswith("EXECUTE gisapp_locate"):
        return "sql: locate (geocode)"
    if "bench_intake" in s:
        return "sql: INSERT bench_intake"
    if s.startswith("SELECT") and "client_ref" in s and "FROM events" in s:
        return "sql: replay lookup (client_ref)"
    if "categories" in s and ("ST_Covers" in s or "grid_directory" in s or "locate" in s.lower()):
        return "sql: category + locate (one query)"
    if "FROM categories c JOIN departments" in s:
        return "sql: category"
    if "ST_Covers" in s or "locate" in s.lower():
        return "sql: locate (geocode)"
    if "INSERT INTO events" in s:
        return "sql: INSERT event + log"
    return "sql: other"


class Timers:
    def __init__(self):
        self.acc: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.samples: dict[str, tuple] = {}
        self.enabled = False
        self.inside_block = 0  # > 0 while a block timed as a whole runs: its parts are not counted apart

    @property
    def counting(self) -> bool:
        return self.enabled and not self.inside_block

    def add(self, name: str, dt: float) -> None:
        if self.counting:
            self.acc[name] += dt
            self.calls[name] += 1


def _instrument(engine, timers: Timers) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, params, context, executemany):
        conn.info.setdefault("bench_t0", []).append(CLOCK())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, params, context, executemany):
        label = _classify(statement)
        timers.add(label, CLOCK() - conn.info["bench_t0"].pop())
        if timers.counting:
            timers.samples[label] = (statement, params)

    dialect = engine.dialect
    for attr, label in (
        ("do_ping", "pool pre-ping (SELECT 1)"),
        ("do_commit", "COMMIT"),
        ("do_rollback", "pool reset (rollback)"),
    ):
        original = getattr(dialect, attr)

        def wrapped(dbapi_conn, _original=original, _label=label):
            t0 = CLOCK()
            try:
                return _original(dbapi_conn)
            finally:
                timers.add(_label, CLOCK() - t0)

        setattr(dialect, attr, wrapped)


def _wrap_function(module, name: str, label: str, timers: Timers):
    original = getattr(module, name)

    def wrapped(*a, **kw):
        t0 = CLOCK()
        try:
            return original(*a, **kw)
        finally:
            timers.add(label, CLOCK() - t0)

    setattr(module, name, wrapped)
    return lambda: setattr(module, name, original)


def _wrap_block(module, name: str, label: str, timers: Timers):
    """Time a whole call as one part (its SQL, COMMIT and Python), not its statements apart."""
    original = getattr(module, name, None)
    if original is None:  # the app was refactored: the part is then counted in its statements / the rest
        log(f"profile: {module.__name__}.{name} not found; '{label}' is not timed apart")
        return lambda: None

    def wrapped(*a, **kw):
        counting = timers.counting
        t0 = CLOCK()
        timers.inside_block += 1
        try:
            return original(*a, **kw)
        finally:
            timers.inside_block -= 1
            if counting:
                timers.add(label, CLOCK() - t0)

    setattr(module, name, wrapped)
    return lambda: setattr(module, name, original)


SA_TOTAL = "__session.execute wall"


def _wrap_session_execute(timers: Timers):
    from sqlalchemy.orm import Session

    original = Session.execute

    def execute(self, *a, **kw):
        t0 = CLOCK()
        try:
            return original(self, *a, **kw)
        finally:
            timers.add(SA_TOTAL, CLOCK() - t0)

    Session.execute = execute
    return lambda: setattr(Session, "execute", original)


def _wrap_prepared(timers: Timers):
    """Time the app's prepared statements: they run on the raw cursor, past SQLAlchemy's events."""
    from gisapp.db import Prepared

    original = Prepared.fetch_one

    def fetch_one(self, session, params):
        t0 = CLOCK()
        try:
            return original(self, session, params)
        finally:
            timers.add(_classify(f"EXECUTE {self.name}"), CLOCK() - t0)

    Prepared.fetch_one = fetch_one
    return lambda: setattr(Prepared, "fetch_one", original)


def _wrap_marshmallow_dump(timers: Timers):
    import marshmallow

    original = marshmallow.Schema.dump
    depth = [0]

    def dump(self, obj, *a, **kw):
        depth[0] += 1
        t0 = CLOCK()
        try:
            return original(self, obj, *a, **kw)
        finally:
            depth[0] -= 1
            if depth[0] == 0:
                timers.add("marshmallow output dump", CLOCK() - t0)

    marshmallow.Schema.dump = dump
    return lambda: setattr(marshmallow.Schema, "dump", original)


def _drive(
    app,
    path: str,
    *,
    n: int,
    warmup: int,
    points,
    categories,
    tag: str,
    timers: Timers,
    profile_to=None,
    api_key: str | None = None,
) -> dict:
    client = app.test_client()
    headers = {k: v for k, v in request_headers(api_key).items() if k != "Content-Type"}
    totals: list[float] = []
    statuses: dict[int, int] = defaultdict(int)
    for i in range(warmup + n):
        body = make_body(i, tag, points[i % len(points)], categories)
        timers.enabled = i >= warmup
        profiler = profile_to if (profile_to is not None and i >= warmup) else None
        t0 = CLOCK()
        if profiler:
            profiler.enable()
        resp = client.post(path, data=body, content_type="application/json", headers=headers)
        if profiler:
            profiler.disable()
        if i >= warmup:
            totals.append(CLOCK() - t0)
            statuses[resp.status_code] += 1
        if resp.status_code != 201:  # every request is a new report
            raise RuntimeError(f"{path} answered {resp.status_code}, not 201: {resp.get_data(as_text=True)[:300]}")
    timers.enabled = False
    total = sum(totals)
    acc = dict(timers.acc)
    sa_total = acc.pop(SA_TOTAL, 0.0)
    if sa_total:  # Python around the driver: session.execute wall minus the driver calls inside it
        inside = sum(v for k, v in acc.items() if k.startswith("sql: ") or k.startswith("pool pre-ping"))
        acc["SQLAlchemy Python around the driver (session.execute)"] = max(0.0, sa_total - inside)
    parts = {k: v / n * 1e3 for k, v in sorted(acc.items(), key=lambda kv: -kv[1])}
    accounted = sum(parts.values())
    mean_ms = total / n * 1e3
    parts["Flask/APIFlask, JSON, service Python (rest)"] = mean_ms - accounted
    return {
        "n": n,
        "mean_ms": mean_ms,
        "parts_ms": parts,
        "calls_per_request": {k: v / n for k, v in timers.calls.items() if k != SA_TOTAL},
        "statuses": dict(statuses),
    }


def _median(values: list[float]) -> float | None:
    values = sorted(values)
    return values[len(values) // 2] if values else None


def server_costs(engine, samples: dict, repeat: int = 25) -> dict:
    """PostgreSQL's planning time of each statement as the app sent it (EXPLAIN SUMMARY, not run),
    and the execution time of the read-only ones (EXPLAIN ANALYZE), medians of `repeat` tries."""
    out = {}
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for label, (statement, params) in sorted(samples.items()):
            planning, execution = [], []
            read_only = statement.lstrip().upper().startswith("SELECT")
            for _ in range(repeat):
                cur.execute("EXPLAIN (SUMMARY ON) " + statement, params)
                planning += [
                    float(r[0].split(":")[1].split()[0]) for r in cur.fetchall() if r[0].startswith("Planning Time")
                ]
                if read_only:
                    cur.execute("EXPLAIN (ANALYZE, SUMMARY ON, TIMING OFF) " + statement, params)
                    execution += [
                        float(r[0].split(":")[1].split()[0])
                        for r in cur.fetchall()
                        if r[0].startswith("Execution Time")
                    ]
            raw.rollback()
            out[label] = {"planning_ms": _median(planning), "execution_ms": _median(execution)}
    finally:
        raw.rollback()
        raw.close()
    return out


AUTH_PART = "authentication: API key look-up (integration)"
RATE_PART = "rate-limit counter (own transaction + COMMIT)"
AUDIT_PART = "audit record (advisory lock, last hash, HMAC, INSERT)"


def run_profile(url: str, points, categories, *, n: int, tag: str, label: str, api_key: str) -> dict:
    from dataclasses import replace

    import gisapp.api.access as access_api
    import gisapp.api.events as events_api
    import gisapp.services.events.intake as intake_service
    from bench.bare_app import create_app as create_bare
    from gisapp import create_app
    from gisapp.config import Settings

    warmup = min(100, n)
    # as the gunicorn servers run it (Settings.from_env: the same audit key), rate limits on, never reached
    settings = replace(
        Settings.from_env(),
        database_url=url,
        intake_rate_client=UNREACHED_RATE_LIMIT,
        intake_rate_principal=UNREACHED_RATE_LIMIT,
    )
    # the real app -------------------------------------------------------------------
    app = create_app(settings)
    timers = Timers()
    _instrument(app.extensions["gisapp.engine"], timers)
    undo = [
        _wrap_marshmallow_dump(timers),
        _wrap_session_execute(timers),
        _wrap_prepared(timers),
        _wrap_function(events_api, "parse_event_report", "report validation (parse_event_report)", timers),
        _wrap_block(access_api, "integration_for_key", AUTH_PART, timers),
        _wrap_block(access_api, "hit", RATE_PART, timers),
        _wrap_block(intake_service, "record", AUDIT_PART, timers),
    ]
    try:
        real = _drive(
            app,
            "/api/v1/events",
            n=n,
            warmup=warmup,
            points=points,
            categories=categories,
            tag=f"{tag}-prof",
            timers=timers,
            api_key=api_key,
        )
    finally:
        for u in undo:
            u()
    real["server"] = server_costs(app.extensions["gisapp.engine"], timers.samples)
    # a cProfile listing of the real app, without the timers
    profiler = cProfile.Profile()
    plain = create_app(settings)
    _drive(
        plain,
        "/api/v1/events",
        n=min(n, 300),
        warmup=20,
        points=points[::-1],
        categories=categories,
        tag=f"{tag}-cprof",
        timers=Timers(),
        profile_to=profiler,
        api_key=api_key,
    )
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    buf.write("== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(45)
    buf.write("\n== by own time ==\n")
    stats.sort_stats("tottime").print_stats(30)
    (OUT / f"profile-intake-{label}.txt").write_text(buf.getvalue(), encoding="utf-8")
    app.extensions["gisapp.engine"].dispose()
    plain.extensions["gisapp.engine"].dispose()
    # the anchor ---------------------------------------------------------------------
    bare_app = create_bare(url)
    timers = Timers()
    _instrument(bare_app.extensions["bench.engine"], timers)
    undo = _wrap_session_execute(timers)
    try:
        bare = _drive(
            bare_app,
            "/intake",
            n=n,
            warmup=warmup,
            points=points,
            categories=categories,
            tag=f"{tag}-bprof",
            timers=timers,
        )
    finally:
        undo()
    bare["server"] = server_costs(bare_app.extensions["bench.engine"], timers.samples)
    bare_app.extensions["bench.engine"].dispose()
    log(f"in-process intake: app {real['mean_ms']:.2f} ms, bare {bare['mean_ms']:.2f} ms per request")
    return {"app": real, "bare": bare}
