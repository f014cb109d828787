"""Benchmark harness: `python -m bench.run [--grids 100000] [--quick]`.

Measures, on the demo county (layers/demo) and on a synthetic jurisdiction:
  1. single-point geocoding latency in PostGIS: locate() against the bare indexed query;
  2. event intake over HTTP under gunicorn against a bare Flask INSERT endpoint:
     closed-loop throughput (wrk) and open-loop latency at a fixed rate;
  3. where an intake request's time goes (in process, per SQL statement).
and writes docs/benchmarks.md (a --quick run writes bench/out/benchmarks-quick.md unless --doc).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

from bench.common import OUT, ROOT, CpuMonitor, Dataset, log, prepare_database, random_points, start_cluster, write_json

FOREIGN_LIMIT = 0.25  # cores used by other processes above which a measurement is retried
RETRIES = 2


def guarded(monitor: CpuMonitor, what: str, fn):
    """Run a measurement when the machine is quiet; redo it (bounded) if other processes took CPU."""
    for attempt in range(1, RETRIES + 2):
        monitor.wait_quiet()
        start = monitor.snapshot()
        result = fn()
        foreign = monitor.foreign_cores(start)
        result["foreign_cores"] = foreign
        result["attempts"] = attempt
        if foreign <= FOREIGN_LIMIT:
            return result
        log(
            f"{what}: other processes used {foreign:.2f} cores meanwhile"
            + ("; measuring again" if attempt <= RETRIES else "; kept, flagged in the report")
        )
    return result


FULL_GRIDS = 100_000
QUICK_GRIDS = 5_000


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="small synth (5,000 grids) and short runs: a smoke test")
    p.add_argument(
        "--grids",
        type=int,
        default=None,
        help=f"synthetic grids (default {FULL_GRIDS:,}; {QUICK_GRIDS:,} with --quick)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", choices=["demo", "synth"], help="one data set only")
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["geocode", "http", "profile"],
        help="leave a measurement out (repeatable)",
    )
    p.add_argument("--geocode-points", type=int, default=None)
    p.add_argument("--connections", type=int, default=16, help="closed-loop connections")
    p.add_argument("--duration", type=float, default=None, help="seconds per closed-loop round")
    p.add_argument("--rate", type=float, default=200.0, help="open-loop offered load, requests/s")
    p.add_argument("--rate-duration", type=float, default=None, help="open-loop seconds")
    p.add_argument(
        "--workers",
        type=int,
        default=max(2, (os.cpu_count() or 1) * 2),
        help="gunicorn workers for both servers (default: as `gisapp serve`, 2 per core)",
    )
    p.add_argument(
        "--worker-class",
        default="sync",
        choices=["sync", "gthread"],
        help="gunicorn worker class for both servers (default sync, as `gisapp serve`)",
    )
    p.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    p.add_argument(
        "--render", action="store_true", help="only rewrite the markdown from the last results JSON in bench/out/"
    )
    p.add_argument("--prepare-only", action="store_true", help="build/refresh the bench databases and stop")
    p.add_argument("--doc", type=Path, default=None, help="where to write the markdown report")
    args = p.parse_args(argv)
    q = args.quick
    args.grids = args.grids or (QUICK_GRIDS if q else FULL_GRIDS)
    args.geocode_points = args.geocode_points or (300 if q else 2000)
    args.geocode_warmup = 50 if q else 300
    args.duration = args.duration or (3.0 if q else 12.0)
    args.warm_duration = 1.0 if q else 3.0
    args.rate_duration = args.rate_duration or (5.0 if q else 15.0)
    args.round_order = ["bare", "app"] if q else ["bare", "app", "app", "bare"]
    args.profile_n = 100 if q else 500
    args.doc = args.doc or (OUT / "benchmarks-quick.md" if q else ROOT / "docs" / "benchmarks.md")
    return args


# data sets ------------------------------------------------------------------------------------
def synth_source(grids: int, seed: int) -> Path:
    from gisapp.demo.synth import synthesize

    out = OUT / f"synth-{grids}-seed{seed}"
    marker = out / ".complete"
    if not marker.exists():
        log(f"synthesizing {grids:,} grids into {out} ...")
        started = time.monotonic()
        counts = synthesize(out, grids=grids, events=0, seed=seed)
        marker.write_text(f"{counts}\n")
        log(f"synthesized in {time.monotonic() - started:.0f} s: {counts}")
    return out


def datasets(args) -> tuple[list[Dataset], list[dict]]:
    found, skipped = [], []
    if args.only in (None, "demo"):
        demo = ROOT / "layers" / "demo"
        if (demo / "grids.geojson").exists():
            found.append(Dataset("demo", "demo county 玄武区", "gisapp_bench_demo", demo))
        else:
            skipped.append({"label": "demo county 玄武区", "reason": "layers/demo is not built"})
    if args.only in (None, "synth"):
        try:
            src = synth_source(args.grids, args.seed)
        except ImportError as exc:
            skipped.append({"label": f"synthetic {args.grids:,} grids", "reason": f"no synthesizer ({exc})"})
        else:
            name = "gisapp_bench_synth_quick" if args.quick else "gisapp_bench_synth"
            found.append(Dataset("synth", f"synthetic, {args.grids:,} grids", name, src))
    return found, skipped


def area_counts(engine) -> dict:
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("grids", "communities", "townships", "counties", "teams", "categories")
        }


def reset_bench_rows(engine) -> None:
    """Delete the events earlier bench runs created, empty the anchor's table; create it if needed."""
    from bench.bare_app import TABLE_SQL

    with engine.begin() as conn:
        conn.execute(text(TABLE_SQL))
        conn.execute(text("TRUNCATE bench_intake"))
    try:
        with engine.begin() as conn:
            # event_log is append-only by trigger; replica mode skips triggers (superuser only)
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(
                text("DELETE FROM event_log WHERE event_id IN (SELECT id FROM events WHERE client_ref LIKE 'bench-%')")
            )
            gone = conn.execute(text("DELETE FROM events WHERE client_ref LIKE 'bench-%'")).rowcount
        if gone:
            log(f"deleted {gone} events of earlier bench runs")
    except Exception as exc:  # not a superuser: keep them, client_refs stay unique per run
        log(f"could not delete earlier bench events ({type(exc).__name__}); kept")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE events"))
        conn.execute(text("VACUUM ANALYZE event_log"))
        conn.execute(text("VACUUM ANALYZE bench_intake"))
        conn.execute(text("VACUUM ANALYZE audit_log"))  # append-only: grows by a record per event
        conn.execute(text("VACUUM ANALYZE rate_windows"))


# measurements ----------------------------------------------------------------------------------
def run_http(args, ds: Dataset, points, points_file: Path, categories, tag: str, wrk) -> dict:
    from bench.http_bench import APP_ENV, GunicornConfig, Server, closed_loop, open_loop, start_server, stop_server

    cfg = GunicornConfig(workers=args.workers, worker_class=args.worker_class, threads=args.threads)
    if not ds.api_key:
        raise RuntimeError(f"{ds.dbname}: no integration API key for the app's intake")
    # the anchor stays unauthenticated (a bare INSERT endpoint); the app's intake is called as a
    # public-intake integration, its rate limits on but far above the offered load
    servers = {
        "bare": Server("bare", "bench.bare_app:create_app()", "/intake", "/healthz"),
        "app": Server(
            "app", "gisapp:create_app()", "/api/v1/events", "/healthz", api_key=ds.api_key, env=dict(APP_ENV)
        ),
    }
    wrk_threads = 2
    try:
        for s in servers.values():
            start_server(s, ds.url, cfg)
        common = dict(
            connections=args.connections,
            threads=wrk_threads,
            points_file=points_file,
            points=points,
            categories=categories,
        )
        for key, s in servers.items():
            warm = closed_loop(wrk, s, duration=args.warm_duration, tag=f"{tag}-warm-{key}", **common)
            log(
                f"{ds.key} warm-up {key}: {warm['rps']:.0f} req/s, {warm['errors']} errors, "
                f"statuses {warm.get('statuses')}"
            )
            if warm["errors"] or warm.get("non_201"):
                raise RuntimeError(
                    f"{ds.key} warm-up of {key}: not every response was 201 "
                    f"(statuses {warm.get('statuses')}, {warm['errors']} errors); "
                    f"see {s.log_path}"
                )
        rounds = {"bare": [], "app": []}
        for i, key in enumerate(args.round_order):
            r = guarded(
                args.monitor,
                f"closed loop {key}",
                lambda: closed_loop(
                    wrk, servers[key], duration=args.duration, tag=f"{tag}-c{i}-{key}-{time.monotonic_ns()}", **common
                ),
            )
            rounds[key].append(r)
            log(
                f"{ds.key} closed loop {key}: {r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, "
                f"p99 {r['p99']:.1f} ms, {r['errors']} errors, statuses {r.get('statuses')}"
            )
        throughput = {k: {"rounds": v, "mean_rps": sum(r["rps"] for r in v) / len(v)} for k, v in rounds.items()}
        throughput["ratio"] = throughput["app"]["mean_rps"] / throughput["bare"]["mean_rps"]
        opened = {}
        for key in ("bare", "app"):
            o = guarded(
                args.monitor,
                f"open loop {key}",
                lambda: open_loop(
                    servers[key],
                    rate=args.rate,
                    duration=args.rate_duration,
                    points=points[::-1],
                    categories=categories,
                    tag=f"{tag}-o-{key}-{time.monotonic_ns()}",
                    clients=args.open_clients,
                ),
            )
            opened[key] = o
            lat = o["latency"]
            log(
                f"{ds.key} open loop {key} @ {args.rate:.0f}/s: p50 {lat.get('p50', float('nan')):.1f} "
                f"p99 {lat.get('p99', float('nan')):.1f} ms, {o['errors']} errors, "
                f"achieved {o['achieved_rps']:.0f}/s, statuses {o['statuses']}"
            )
        measured = [*rounds["bare"], *rounds["app"], *opened.values()]
        not_201 = sum(m["errors"] for m in measured)
        if not_201:
            log(f"{ds.key}: WARNING: {not_201} responses during the measurement were not 201 (reported)")
        return {
            "gunicorn": cfg.describe(),
            "throughput": throughput,
            "open_loop": opened,
            "not_201": not_201,
            "integration": ds.integration,
            "county": ds.county,
            "app_env": dict(APP_ENV),
        }
    finally:
        for s in servers.values():
            stop_server(s)


def run_dataset(args, ds: Dataset, tag: str, wrk) -> dict:
    from gisapp.db import make_engine

    prepare_database(ds)
    engine = make_engine(ds.url, pool_size=2)
    result: dict = {
        "key": ds.key,
        "label": ds.label,
        "dbname": ds.dbname,
        "source": str(ds.source),
        "rebuilt": ds.rebuilt,
        "build_seconds": ds.build_seconds,
        "integration": ds.integration,
        "county": ds.county,
    }
    try:
        result["counts"] = area_counts(engine)
        geo_points = random_points(engine, args.geocode_points, args.seed)
        intake_points = random_points(engine, 5000, args.seed + 1)
        points_file = OUT / f"points-{ds.key}.txt"
        points_file.write_text("".join(f"{lon:.7f},{lat:.7f}\n" for lon, lat in intake_points))
        with engine.connect() as conn:
            categories = conn.execute(text("SELECT code FROM categories ORDER BY code")).scalars().all()
        result["points_note"] = (
            f"{len(geo_points)} geocoding (seed {args.seed}), {len(intake_points)} intake (seed {args.seed + 1})"
        )
        if "geocode" not in args.skip:
            from bench.geocode_bench import run_geocode

            log(f"{ds.key}: geocoding latency, {len(geo_points)} points ...")
            result["geocode"] = guarded(
                args.monitor,
                "geocoding",
                lambda: run_geocode(ds.url, geo_points, warmup=args.geocode_warmup, seed=args.seed),
            )
        reset_bench_rows(engine)
        if "http" not in args.skip:
            log(f"{ds.key}: intake over HTTP ...")
            result["http"] = run_http(args, ds, intake_points, points_file, categories, f"{tag}-{ds.key}", wrk)
        if "profile" not in args.skip:
            from bench.profile_intake import run_profile

            log(f"{ds.key}: in-process intake breakdown ...")
            result["profile"] = guarded(
                args.monitor,
                "in-process breakdown",
                lambda: run_profile(
                    ds.url,
                    intake_points,
                    categories,
                    n=args.profile_n,
                    api_key=ds.api_key,
                    tag=f"{tag}-{ds.key}-{time.monotonic_ns()}",
                    label=ds.key,
                ),
            )
    finally:
        engine.dispose()
    return result


# the machine ---------------------------------------------------------------------------------
def machine(url: str | None, wrk) -> dict:
    from bench.http_bench import wrk_version

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass

    def ver(pkg):
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return "?"

    info = {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "memory_gb": mem_gb,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "flask": ver("flask"),
        "apiflask": ver("apiflask"),
        "sqlalchemy": ver("sqlalchemy"),
        "psycopg2": ver("psycopg2-binary"),
        "gunicorn": ver("gunicorn"),
        "wrk": wrk_version(wrk),
        "postgres": "?",
        "postgis": "?",
        "geos": "?",
        "shared_buffers": "?",
        "fsync": "?",
        "synchronous_commit": "?",
    }
    if url:
        from gisapp.db import make_engine

        engine = make_engine(url, pool_size=1)
        try:
            with engine.connect() as conn:
                info["postgres"] = conn.execute(text("SHOW server_version")).scalar_one()
                info["postgis"] = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
                info["geos"] = conn.execute(text("SELECT postgis_geos_version()")).scalar_one()
                for key in ("shared_buffers", "fsync", "synchronous_commit"):
                    info[key] = conn.execute(text(f"SHOW {key}")).scalar_one()
        finally:
            engine.dispose()
    return info


def main(argv=None) -> int:
    args = parse_args(argv)
    args.open_clients = 24
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    from bench.http_bench import ensure_wrk
    from bench.report import render, targets

    if args.render:
        import json

        results = json.loads((OUT / f"results-{'quick' if args.quick else 'full'}.json").read_text(encoding="utf-8"))
        args.doc.write_text(render(results), encoding="utf-8")
        log(f"wrote {args.doc}")
        return 0
    wrk = ensure_wrk() if "http" not in args.skip else None
    load_start = os.getloadavg()[0]
    if load_start > 0.5:
        log(f"the machine is busy (load average {load_start:.2f}): figures will be noisier")
    start_cluster()
    args.monitor = CpuMonitor()  # after the cluster: it counts our PostgreSQL as ours
    found, skipped = datasets(args)
    if not found:
        log("nothing to measure: " + "; ".join(f"{s['label']}: {s['reason']}" for s in skipped))
        return 1
    if args.prepare_only:
        for ds in found:
            prepare_database(ds)
        return 0
    tag = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    results = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "datasets": [],
        "skipped": skipped,
        "notes": [],
    }
    for ds in found:
        log(f"=== {ds.label} ===")
        results["datasets"].append(run_dataset(args, ds, tag, wrk))
    from bench.http_bench import UNREACHED_RATE_LIMIT, GunicornConfig
    from gisapp.services.jurisdiction.geocode import LOCATE

    results["locate_sql"] = LOCATE.sql
    results["machine"] = machine(found[0].url, wrk)
    results["machine"]["load_start"] = f"{load_start:.2f}"
    results["machine"]["load_end"] = f"{os.getloadavg()[0]:.2f}"
    results["config"] = {
        "command": "python -m bench.run"
        + (" --quick" if args.quick else "")
        + (f" --grids {args.grids}" if args.grids not in (FULL_GRIDS, QUICK_GRIDS) else ""),
        "quick": args.quick,
        "seed": args.seed,
        "grids": args.grids,
        "geocode_points": args.geocode_points,
        "geocode_warmup": args.geocode_warmup,
        "connections": args.connections,
        "wrk_threads": 2,
        "closed_duration": args.duration,
        "warm_duration": args.warm_duration,
        "round_order": args.round_order,
        "rate": args.rate,
        "rate_duration": args.rate_duration,
        "open_clients": args.open_clients,
        "closed_tool": "`wrk` with `bench/intake.lua`" if wrk else "a Python thread client (wrk missing)",
        "gunicorn": GunicornConfig(args.workers, args.worker_class, args.threads).describe(),
        "intake_rate_limit": UNREACHED_RATE_LIMIT,
        "elapsed_s": round(time.monotonic() - started),
    }
    for ds in results["datasets"]:
        if ds.get("rebuilt"):
            results["notes"].append(f"`{ds['dbname']}` was (re)built in this run ({ds['build_seconds']:.0f} s).")
    write_json(OUT / f"results-{'quick' if args.quick else 'full'}.json", results)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(render(results), encoding="utf-8")
    log(f"wrote {args.doc} in {time.monotonic() - started:.0f} s")
    for row in targets(results):
        log(
            f"{'MET   ' if row['ok'] else 'MISSED'} {row['dataset']}: {row['what']}: {row['figure']} "
            f"(target {row['target']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
