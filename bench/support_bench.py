"""Support ranking on the synthetic layer: support_candidates() against PostGIS nearest-neighbour search.

    .venv/bin/python -m bench.support_bench [--grids 100000] [--events 500] [--calls 3000] [--skip-build]

Data: the synthetic jurisdiction of bench/run.py (`gisapp demo synth`, seed 1, cached under bench/out/)
loaded by bench/common.prepare_database into a database of its own, `gisapp_bench_support`, so this
run neither waits for nor disturbs the other benchmarks' databases. The synthesizer gives every grid's
team 3-6 members (about 450,000 for 100,000 grids: more than the 50,000 the issue asks for, so none
are added), 80 % of them on duty or on patrol, their positions stamped within the 30 minutes before the
data set's "now" (BASE_TIME, 2026-11-01T08:00Z). The bench passes that time as `now`, so with the
default freshness of 900 s about half of the on-duty members are candidates.

Events: --events points drawn uniformly inside the grids (seed 3), reported through the intake service
in one transaction that stays open during the measurement and is rolled back at the end.

Measured on one connection, per call back to back in a seeded random order:
  knn           the anchor: SELECT code FROM members ORDER BY position <-> point LIMIT 20 (GiST KNN)
  knn_filtered  the same with the candidates' filters (on duty or patrol, fresh position)
  candidates    gisapp.services.command.support.support_candidates(session, event_id, now=BASE_TIME): what the
                API calls (staleness check of the adjacency graph, the event, rings 1-2, ranking)
Also timed: a full build of the adjacency graph (refresh_grid_adjacency(1.0), committed: it is this
bench's own database) and incremental refreshes after moving one grid (rolled back).
Writes docs/benchmarks-support.md and bench/out/support-results.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

from bench.common import (
    ROOT,
    CpuMonitor,
    Dataset,
    bench_main,
    log,
    prepare_database,
    random_points,
    start_cluster,
    summarize_ms,
)

DBNAME = "gisapp_bench_support"
DOC = ROOT / "docs" / "benchmarks-support.md"
TARGET_P99_MS = 10.0
K = 20
VARIANTS = ("knn", "knn_filtered", "candidates")
KNN_SQL = text(
    "SELECT code FROM members WHERE position IS NOT NULL "
    "ORDER BY position <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT :k"
)
KNN_FILTERED_SQL = text(
    "SELECT code FROM members WHERE duty_status IN ('on_duty', 'on_patrol') "
    "AND position_at > CAST(:now AS timestamptz) - interval '900 seconds' "
    "ORDER BY position <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT :k"
)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.support_bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--grids", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic jurisdiction")
    p.add_argument("--events", type=int, default=500, help="events (random points) to rank candidates for")
    p.add_argument("--calls", type=int, default=3000, help="measured calls per variant")
    p.add_argument("--warmup", type=int, default=300, help="unmeasured calls per variant first")
    p.add_argument("--skip-build", action="store_true", help="do not time a full build of the adjacency graph")
    p.add_argument("--doc", type=Path, default=DOC)
    return p.parse_args(argv)


def prepare(args) -> Dataset:
    """The synthetic data set in this bench's database, its adjacency graph built."""
    from bench.run import synth_source
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.command.support import ensure_adjacency

    start_cluster()
    ds = Dataset("synth", f"synthetic, {args.grids:,} grids", DBNAME, synth_source(args.grids, args.seed))
    prepare_database(ds)
    engine = make_engine(ds.url, pool_size=1)
    try:
        started = time.monotonic()
        with transaction(make_session_factory(engine)) as session:
            if ensure_adjacency(session):  # the graph after a bulk load: built on first use
                ds.build_seconds = time.monotonic() - started
                log(f"adjacency graph built after the load in {ds.build_seconds:.1f} s")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE grid_adjacency"))
            ds.counts = data_counts(conn)
    finally:
        engine.dispose()
    log(f"{DBNAME}: {ds.counts}")
    return ds


def data_counts(conn) -> dict:
    from gisapp.demo.catalogue import BASE_TIME

    return {
        "grids": conn.execute(text("SELECT count(*) FROM grids")).scalar_one(),
        "members": conn.execute(text("SELECT count(*) FROM members")).scalar_one(),
        "with_position": conn.execute(text("SELECT count(position) FROM members")).scalar_one(),
        "fresh_on_duty": conn.execute(
            text(
                "SELECT count(*) FROM members WHERE duty_status IN ('on_duty', 'on_patrol') "
                "AND position_at > CAST(:now AS timestamptz) - interval '900 seconds'"
            ),
            {"now": BASE_TIME},
        ).scalar_one(),
        "adjacency_rows": conn.execute(text("SELECT count(*) FROM grid_adjacency")).scalar_one(),
        "corner_rows": conn.execute(text("SELECT count(*) FROM grid_adjacency WHERE contact = 'corner'")).scalar_one(),
    }


def time_builds(engine, *, full: bool, moves: int = 5) -> dict:
    """Seconds of a full build (committed), and milliseconds of incremental refreshes after moving a grid."""
    out: dict = {}
    if full:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL statement_timeout = 0"))  # the app's engine stops statements at 30 s
            started = time.perf_counter()
            conn.execute(text("SELECT refresh_grid_adjacency(1.0)"))
            out["full_s"] = time.perf_counter() - started
        log(f"full build of the adjacency graph: {out['full_s']:.1f} s")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE grid_adjacency"))
    rng = random.Random(7)
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT code FROM grids ORDER BY code")).scalars().all()
        conn.rollback()
        incremental = []
        for code in rng.sample(codes, moves):
            trans = conn.begin()
            conn.execute(
                text("UPDATE grids SET geom = ST_Multi(ST_Translate(geom, 0.00002, 0)) WHERE code = :c"), {"c": code}
            )
            started = time.perf_counter()
            conn.execute(text("SELECT refresh_grid_adjacency()"))
            incremental.append(time.perf_counter() - started)
            trans.rollback()
    out["incremental_ms"] = [t * 1e3 for t in incremental]
    log(f"incremental refresh after moving one grid: median {statistics.median(out['incremental_ms']):.1f} ms")
    return out


def make_events(session, engine, n: int) -> list[dict]:
    """n events at random points inside the grids, in the session's (open) transaction."""
    from gisapp.demo.catalogue import BASE_TIME
    from gisapp.domain.intake import parse_event_report
    from gisapp.services.access.audit import Actor
    from gisapp.services.events.intake import Submitter, submit_event

    by = Submitter("system:bench-support", Actor("bench", "system", None))
    category = session.execute(text("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")).scalar_one()
    base = datetime.fromisoformat(BASE_TIME.replace("Z", "+00:00"))
    events = []
    for i, (lon, lat) in enumerate(random_points(engine, n, seed=3)):
        report = parse_event_report(
            {
                "category": category,
                "channel": "patrol",
                "client_ref": f"support-bench-{i}",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
        event = submit_event(session, report, by=by, audit_key=None, now=base).event
        events.append({"id": event["id"], "lon": lon, "lat": lat})
    return events


def variants(session, now: datetime) -> dict:
    """The measured calls, each taking one event."""
    from gisapp.services.command.support import support_candidates

    def knn(ev):
        return session.execute(KNN_SQL, {"lon": ev["lon"], "lat": ev["lat"], "k": K}).all()

    def knn_filtered(ev):
        return session.execute(KNN_FILTERED_SQL, {"lon": ev["lon"], "lat": ev["lat"], "k": K, "now": now}).all()

    def candidates(ev):
        return support_candidates(session, ev["id"], limit=K, now=now)

    return {"knn": knn, "knn_filtered": knn_filtered, "candidates": candidates}


def measure(fns: dict, events: list[dict], *, calls: int, warmup: int, seed: int) -> dict:
    """Per-variant durations (seconds) over `calls` events, variants in a random order per event."""
    rng = random.Random(seed)
    times: dict[str, list[float]] = {k: [] for k in fns}
    sizes: list[int] = []
    for i in range(warmup + calls):
        ev = events[i % len(events)]
        order = list(fns)
        rng.shuffle(order)
        for name in order:
            started = time.perf_counter()
            result = fns[name](ev)
            elapsed = time.perf_counter() - started
            if i >= warmup:
                times[name].append(elapsed)
                if name == "candidates":
                    sizes.append(len(result))
    return {"times": times, "sizes": sizes}


def explain(session, event_id: int, now: datetime) -> dict:
    """Server-side planning and execution time of the (prepared) candidates query for one event, and
    whether JIT ran."""
    from gisapp.services.command.support import CANDIDATES

    with session.connection().connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {CANDIDATES.name} (%s, %s, %s)", (event_id, now, 900.0))
        plan = cur.fetchone()[0][0]
    return {"planning_ms": plan["Planning Time"], "execution_ms": plan["Execution Time"], "jit": "JIT" in plan}


def run(args, ds: Dataset) -> dict:
    from gisapp.db import make_engine, make_session_factory
    from gisapp.demo.catalogue import BASE_TIME

    now = datetime.fromisoformat(BASE_TIME.replace("Z", "+00:00"))
    engine = make_engine(ds.url, pool_size=2)
    try:
        # a graph just built after the load was the full build; else time one
        builds = time_builds(engine, full=not args.skip_build and not ds.build_seconds)
        if ds.build_seconds:
            builds["full_s"] = ds.build_seconds
        session = make_session_factory(engine)()
        try:
            events = make_events(session, engine, args.events)
            log(f"{len(events)} events reported (rolled back at the end)")
            fns = variants(session, now)
            sample = fns["candidates"](events[0])
            log(f"first event: {len(sample)} candidates, e.g. {sample[:1]}")
            monitor = CpuMonitor()
            monitor.wait_quiet(limit=90)
            started = monitor.snapshot()
            raw = measure(fns, events, calls=args.calls, warmup=args.warmup, seed=5)
            foreign = monitor.foreign_cores(started)
            plan = explain(session, events[1]["id"], now)
        finally:
            session.rollback()
            session.close()
    finally:
        engine.dispose()
    stats = {k: summarize_ms(v) for k, v in raw["times"].items()}
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "database": ds.dbname,
        "counts": ds.counts,
        "events": len(events),
        "calls": args.calls,
        "warmup": args.warmup,
        "k": K,
        "stats": stats,
        "candidates": {"mean": statistics.mean(raw["sizes"]), "min": min(raw["sizes"]), "max": max(raw["sizes"])},
        "plan": plan,
        "builds": builds,
        "foreign_cores": foreign,
        "target_met": stats["candidates"]["p99"] < TARGET_P99_MS,
    }


def render(r: dict) -> str:
    """The markdown report."""
    s, c = r["stats"], r["counts"]
    rows = {
        "knn": f"anchor: PostGIS KNN, `ORDER BY position <-> point LIMIT {r['k']}` (members GiST)",
        "knn_filtered": "KNN with the candidates' filters (on duty, position ≤ 900 s old)",
        "candidates": "`support_candidates()` (graph check, event, rings 1-2, ranking)",
    }
    lines = [
        "# Benchmark: support ranking (standard 6.2.3.2)",
        "",
        f"Generated by `python -m bench.support_bench` on {r['date']}; do not edit by hand (raw figures: "
        "`bench/out/support-results.json`). How it is measured: the docstring of `bench/support_bench.py`.",
        "",
        "## Data",
        "",
        f"- database `{r['database']}`: {c['grids']:,} synthetic grids (`gisapp demo synth`, seed 1); adjacency graph "
        f"{c['adjacency_rows']:,} rows (both directions; {c['corner_rows']:,} corner contacts)",
        f"- {c['members']:,} members ({c['with_position']:,} with a position; {c['fresh_on_duty']:,} on duty with a "
        "position under 900 s old at the data set's now)",
        f"- {r['events']} events at random points; {r['calls']:,} measured calls per variant after {r['warmup']} "
        f"warm-up calls; candidates returned per call: mean {r['candidates']['mean']:.1f} "
        f"(min {r['candidates']['min']}, max {r['candidates']['max']}, limit {r['k']})",
        "",
        "## Latency (ms, in process, one connection)",
        "",
        "| variant | p50 | p95 | p99 | mean | max |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {rows[k]} | {s[k]['p50']:.3f} | {s[k]['p95']:.3f} | {s[k]['p99']:.3f} | {s[k]['mean']:.3f} "
            f"| {s[k]['max']:.2f} |"
            for k in VARIANTS
        ],
        "",
        f"**Target p99 < {TARGET_P99_MS:.0f} ms: {'met' if r['target_met'] else 'NOT met'}** "
        f"(p99 {s['candidates']['p99']:.2f} ms; {s['candidates']['p99'] / s['knn']['p99']:.1f}× the anchor's p99, "
        f"{s['candidates']['p50'] / s['knn']['p50']:.1f}× its p50). The candidates query alone, server side "
        f"(EXPLAIN ANALYZE, one event): planning {r['plan']['planning_ms']:.2f} ms, execution "
        f"{r['plan']['execution_ms']:.2f} ms{', JIT ran' if r['plan']['jit'] else ', no JIT'}. "
        f"Other processes used {r['foreign_cores']:.2f} cores during the measurement (2-core shared machine).",
        "",
        "## Keeping the adjacency graph current",
        "",
        *build_lines(r["builds"]),
        "",
        "## Reproduce",
        "",
        "```",
        ".venv/bin/python -m bench.support_bench            # full: 100,000 grids",
        ".venv/bin/python -m bench.support_bench --grids 5000 --calls 500 --doc bench/out/support-quick.md",
        "```",
        "",
    ]
    return "\n".join(lines)


def build_lines(b: dict) -> list[str]:
    inc = b["incremental_ms"]
    out = []
    if "full_s" in b:
        out.append(
            f"- full build, `refresh_grid_adjacency(1.0)`: {b['full_s']:.1f} s (projection, GiST join with "
            "ST_DWithin, shared-boundary length of every pair, both directions written)"
        )
    out.append(
        f"- incremental, `refresh_grid_adjacency()` after moving one grid: median {statistics.median(inc):.1f} ms "
        f"(min {min(inc):.1f}, max {max(inc):.1f}, {len(inc)} moves, each rolled back)"
    )
    return out


def main(argv=None) -> None:
    bench_main(parse_args(argv), prepare, run, render, "support-results.json", summary)


def summary(results: dict) -> str:
    s = results["stats"]
    return (
        f"candidates p50/p95/p99 {s['candidates']['p50']:.2f}/{s['candidates']['p95']:.2f}/"
        f"{s['candidates']['p99']:.2f} ms; knn {s['knn']['p50']:.2f}/{s['knn']['p95']:.2f}/{s['knn']['p99']:.2f} ms; "
        f"target {'met' if results['target_met'] else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
