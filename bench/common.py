"""Shared helpers: paths, the bench databases, seeded points, percentiles."""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from gisapp.config import PROJECT_ROOT

ROOT = PROJECT_ROOT
OUT = ROOT / "bench" / "out"
SQL_DIR = ROOT / "sql"
VAR_DIR = Path(os.environ.get("GISAPP_VAR_DIR") or ROOT / "var")
VENV_BIN = Path(sys.executable).parent


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# percentiles ---------------------------------------------------------------------------
def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize_ms(values_s: list[float]) -> dict:
    """p50/p95/p99/mean/max in milliseconds of durations given in seconds."""
    v = sorted(values_s)
    if not v:
        return {"n": 0}
    return {
        "n": len(v),
        "p50": percentile(v, 50) * 1e3,
        "p95": percentile(v, 95) * 1e3,
        "p99": percentile(v, 99) * 1e3,
        "mean": sum(v) / len(v) * 1e3,
        "max": v[-1] * 1e3,
    }


# the cluster and its databases ----------------------------------------------------------
def start_cluster() -> None:
    """Start the embedded PostGIS (idempotent) unless DATABASE_URL points elsewhere."""
    if os.environ.get("DATABASE_URL"):
        return
    from gisapp.embedded import EmbeddedPostgres

    EmbeddedPostgres(VAR_DIR).start()


def database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL")
    if base:
        return make_url(base).set(database=name).render_as_string(hide_password=False)
    from gisapp.embedded import EmbeddedPostgres

    return EmbeddedPostgres(VAR_DIR).url(name)


def _admin_connect():
    import psycopg2

    url = make_url(database_url("postgres"))
    conn = psycopg2.connect(host=url.host, port=url.port, user=url.username, password=url.password, dbname="postgres")
    conn.autocommit = True
    return conn


def ensure_database(name: str, *, drop_first: bool = False) -> None:
    conn = _admin_connect()
    try:
        with conn.cursor() as cur:
            if drop_first:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def source_fingerprint(src: Path) -> str:
    """Content hash of the grid layer plus the size of every other file of a jurisdiction dir."""
    h = hashlib.sha1()
    grids = src / "grids.geojson"
    h.update(grids.read_bytes())
    for path in sorted(src.iterdir()):
        if path.is_file():
            h.update(f"{path.name}:{path.stat().st_size};".encode())
    return h.hexdigest()


@dataclass
class Dataset:
    key: str  # "demo" or "synth"
    label: str  # for the report
    dbname: str
    source: Path
    url: str = ""
    counts: dict = field(default_factory=dict)
    rebuilt: bool = False
    build_seconds: float = 0.0
    integration: str = ""  # code of the bench's intake integration
    county: str = ""  # the county it reports in
    api_key: str = field(default="", repr=False)  # its API key (X-API-Key)


META_SQL = "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)"


def prepare_database(ds: Dataset) -> None:
    """Create, migrate and load the dataset's database unless it already holds this exact source."""
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.errors import MigrationError
    from gisapp.migrate import upgrade
    from gisapp.services.jurisdiction.areas import is_loaded, load_jurisdiction

    ds.url = database_url(ds.dbname)
    fingerprint = source_fingerprint(ds.source)
    ensure_database(ds.dbname)
    for attempt in (1, 2):
        engine = make_engine(ds.url, pool_size=2)
        try:
            try:
                upgrade(engine, SQL_DIR)
            except MigrationError as exc:
                if attempt == 2:
                    raise
                log(f"{ds.dbname}: {exc}; rebuilding the database")
                engine.dispose()
                ensure_database(ds.dbname, drop_first=True)
                continue
            with engine.begin() as conn:
                conn.execute(text(META_SQL))
                stored = conn.execute(text("SELECT value FROM bench_meta WHERE key = 'source'")).scalar()
            factory = make_session_factory(engine)
            with transaction(factory) as session:
                loaded = is_loaded(session)
            if loaded and stored == fingerprint:
                with engine.connect() as conn:
                    ds.counts = {"grids": conn.execute(text("SELECT count(*) FROM grids")).scalar_one()}
                log(f"{ds.dbname}: up to date ({ds.counts['grids']} grids)")
                ensure_integration(ds, engine)
                return
            if loaded:  # another source, or a half-made load: start from an empty database
                if attempt == 2:
                    raise RuntimeError(f"{ds.dbname}: could not rebuild")
                log(f"{ds.dbname}: holds another source; rebuilding")
                engine.dispose()
                ensure_database(ds.dbname, drop_first=True)
                continue
            log(f"{ds.dbname}: loading {ds.source} ...")
            started = time.monotonic()
            with transaction(factory) as session:
                ds.counts = load_jurisdiction(session, ds.source, progress=lambda s: log(f"  loading {s}"))
                session.execute(
                    text(
                        "INSERT INTO bench_meta (key, value) VALUES ('source', :v) "
                        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                    ),
                    {"v": fingerprint},
                )
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            ds.rebuilt = True
            ds.build_seconds = time.monotonic() - started
            log(f"{ds.dbname}: loaded in {ds.build_seconds:.0f} s: {ds.counts}")
            ensure_integration(ds, engine)
            return
        finally:
            engine.dispose()


# the intake's credentials -----------------------------------------------------------------
BENCH_INTEGRATION = "bench-intake"
# every channel the bench bodies use (bench/http_bench.py make_body, bench/intake.lua)
BENCH_CHANNELS = ("patrol", "public", "hotline", "video")


def ensure_integration(ds: Dataset, engine) -> None:
    """One integration per bench database, as a public-intake system: its API key goes into ds.api_key.

    Created once with gisapp.services.access.integrations.create_integration (audited like any other) in the
    county of the data set, on every channel the bench bodies use; the key is kept in bench_meta
    (a bench-only database) so later runs reuse the same integration. When the stored key no longer
    resolves (database rebuilt, integration disabled or altered), a new one is registered.
    """
    from gisapp.config import Settings
    from gisapp.db import make_session_factory, transaction
    from gisapp.services.access.audit import Actor
    from gisapp.services.access.integrations import create_integration, integration_for_key

    factory = make_session_factory(engine)
    with transaction(factory) as session:
        county = session.execute(text("SELECT code FROM counties ORDER BY code LIMIT 1")).scalar_one()
        stored = session.execute(text("SELECT value FROM bench_meta WHERE key = 'api_key'")).scalar()
        found = integration_for_key(session, stored) if stored else None
        if found is not None and found.county_code == county and set(BENCH_CHANNELS) <= set(found.channels):
            ds.integration, ds.county, ds.api_key = found.code, county, stored
            log(f"{ds.dbname}: integration {found.code} ({county}; {', '.join(found.channels)})")
            return
        taken = session.execute(
            text("SELECT count(*) FROM integrations WHERE code LIKE :p"), {"p": BENCH_INTEGRATION + "%"}
        ).scalar_one()
        code = BENCH_INTEGRATION if taken == 0 else f"{BENCH_INTEGRATION}-{taken + 1}"
        made, api_key = create_integration(
            session,
            Settings.from_env().audit_key(),
            Actor("bench", "system", "local"),
            code=code,
            name="benchmark intake (public-intake system)",
            county_code=county,
            channels=list(BENCH_CHANNELS),
        )
        session.execute(
            text(
                "INSERT INTO bench_meta (key, value) VALUES ('api_key', :v) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ),
            {"v": api_key},
        )
    ds.integration, ds.county, ds.api_key = made.code, county, api_key
    log(f"{ds.dbname}: created integration {made.code} ({county}; {', '.join(made.channels)})")


# seeded points ----------------------------------------------------------------------------
POINTS_SQL = text("""
SELECT p.i FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS p(lon, lat, i)
WHERE EXISTS (SELECT 1 FROM grids g WHERE ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)))
ORDER BY p.i
""")


def random_points(engine, n: int, seed: int) -> list[tuple[float, float]]:
    """n points uniform over the grids' union (rejection sampling in the extent), fixed seed."""
    rng = random.Random(seed)
    with engine.connect() as conn:
        box = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM grids) x"
            )
        ).one()
        points: list[tuple[float, float]] = []
        for _ in range(100):  # bounded
            batch = max(1000, 2 * (n - len(points)))
            lons = [round(rng.uniform(box[0], box[2]), 7) for _ in range(batch)]
            lats = [round(rng.uniform(box[1], box[3]), 7) for _ in range(batch)]
            inside = conn.execute(POINTS_SQL, {"lons": lons, "lats": lats}).scalars().all()
            points.extend((lons[i - 1], lats[i - 1]) for i in inside)
            if len(points) >= n:
                return points[:n]
    raise RuntimeError(f"could not draw {n} points inside the grids")


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


# other people's CPU ---------------------------------------------------------------------------
HZ = os.sysconf("SC_CLK_TCK")


def _postmaster_pid() -> int | None:
    if os.environ.get("DATABASE_URL"):
        return None
    try:
        from gisapp.embedded import EmbeddedPostgres

        return int((EmbeddedPostgres(VAR_DIR).data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _proc_table() -> dict[int, tuple[int, int, int]]:
    """pid -> (ppid, own ticks, reaped children's ticks)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]))
    return table


class CpuMonitor:
    """CPU used by processes that are not this benchmark's (us, our children, our PostgreSQL cluster).

    Busy ticks of the whole machine (/proc/stat) minus the ticks of our process trees (including
    reaped children, so wrk and closed PostgreSQL backends count as ours), in cores.
    """

    def __init__(self):
        self.roots = [os.getpid()]
        pm = _postmaster_pid()
        if pm:
            self.roots.append(pm)

    @staticmethod
    def _busy() -> int:
        f = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in f[:8])
        return user + nice + system + irq + softirq + steal

    def _ours(self) -> int:
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        total, stack, seen = 0, list(self.roots), set()
        while stack:
            pid = stack.pop()
            if pid in seen or pid not in table:
                continue
            seen.add(pid)
            _, own, reaped = table[pid]
            total += own + reaped
            stack.extend(children.get(pid, ()))
        return total

    def snapshot(self) -> tuple[float, int, int]:
        return time.monotonic(), self._busy(), self._ours()

    def foreign_cores(self, start: tuple[float, int, int]) -> float:
        t, busy, ours = self.snapshot()
        seconds = max(1e-6, t - start[0])
        return max(0.0, ((busy - start[1]) - (ours - start[2])) / HZ / seconds)

    def wait_quiet(self, *, threshold: float = 0.15, window: float = 3.0, limit: float = 120.0) -> float:
        """Wait (bounded) until other processes use less than `threshold` cores over `window` s."""
        deadline = time.monotonic() + limit
        last = float("nan")
        while time.monotonic() < deadline:
            start = self.snapshot()
            time.sleep(window)
            last = self.foreign_cores(start)
            if last < threshold:
                return last
        log(f"the machine stayed busy ({last:.2f} cores used by other processes); measuring anyway")
        return last


def synthetic_dataset(args, dbname: str) -> Dataset:
    """The synthetic county of `--grids`/`--seed` (bench/run.py's) in a bench's database, made once."""
    from bench.run import synth_source

    start_cluster()
    ds = Dataset("synth", f"synthetic, {args.grids:,} grids", dbname, synth_source(args.grids, args.seed))
    prepare_database(ds)
    return ds


def bench_main(args, prepare, run, render, results_name: str, summary) -> None:
    """What every synthetic-county bench does: prepare, measure, keep the raw figures, write its page, say so."""
    ds = prepare(args)
    results = run(args, ds)
    write_json(OUT / results_name, results)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(render(results), encoding="utf-8")
    log(f"{summary(results)}; wrote {args.doc}")
