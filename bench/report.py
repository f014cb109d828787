"""docs/benchmarks.md from the results of one run."""

from __future__ import annotations

GEO_TARGET = 1.2
THROUGHPUT_TARGET = 0.8
P99_TARGET_MS = 50.0

VARIANT_LABEL = {
    "bare": "anchor: bare indexed query (psycopg2 cursor)",
    "bare_sqla": "same bare query through SQLAlchemy `session.execute`",
    "locate_sql": "the service's SQL as plain text on the psycopg2 cursor (planned on every call)",
    "locate": "**`locate()` service** (what the app calls: prepared once per connection, via the session)",
    "locate_prepared": "the same prepared statement on the raw psycopg2 cursor (the service without SQLAlchemy)",
}


SECURITY_PARTS = (
    "authentication: API key look-up (integration)",
    "rate-limit counter (own transaction + COMMIT)",
    "audit record (advisory lock, last hash, HMAC, INSERT)",
)


def _limit(cfg) -> str:
    return f"{cfg.get('intake_rate_limit', 100_000_000):,}"


def _security_path(cfg) -> str:
    """What the app's intake does since every route is behind the permission matrix."""
    return (
        "The app's intake path includes its security controls: **authentication** (the caller is a "
        "public-intake integration created for the bench database in the data set's county, on every channel "
        "the bench uses; its API key is sent as `X-API-Key` and looked up by its SHA-256 hash on every "
        "request), the **rate-limit counter** (per client address and per integration, counted in PostgreSQL "
        "in its own short transaction; the limits are on — `GISAPP_INTAKE_RATE_CLIENT` and "
        f"`GISAPP_INTAKE_RATE_PRINCIPAL` = {_limit(cfg)} per minute — but never reached, so their cost is "
        "measured and no request is refused) and the event's **audit record** (HMAC-chained, appended under a "
        "transaction-scoped advisory lock that serialises every writer, in the event's own transaction). "
        "The anchor is the same bare INSERT endpoint as before: no credentials, no limiter, no audit."
    )


def _f(x, digits=2):
    if x is None:
        return "–"
    return f"{x:.{digits}f}"


def _yes(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def _findings(results: dict) -> list[str]:
    """A few sentences computed from the figures (no judgement beyond the numbers)."""
    out = []
    for ds in results["datasets"]:
        name = ds["label"]
        geo = ds.get("geocode")
        if geo and geo.get("server"):
            srv = geo["server"]["locate"]
            prep = geo["stats"].get("locate_prepared")
            line = (
                f"{name}: `locate()` takes {geo['stats']['locate']['p50']:.3f} ms (p50) against "
                f"{geo['stats']['bare']['p50']:.3f} ms for the bare query. Its SQL spends {srv['planning_ms']:.2f} ms "
                f"in planning and {srv['execution_ms']:.2f} ms executing (EXPLAIN ANALYZE, server side) when "
                f"it is not prepared; SQLAlchemy's `session.execute` would add "
                f"{geo['stats']['bare_sqla']['p50'] - geo['stats']['bare']['p50']:.2f} ms (p50) per call "
                "over the raw cursor, which is why `locate()` runs its prepared statement on the session's "
                "raw cursor."
            )
            if prep:
                line += (
                    f" The prepared SQL alone runs at {prep['p50'] / geo['stats']['bare']['p50']:.2f}× the "
                    f"anchor (p50); the remaining {geo['stats']['locate']['p50'] - prep['p50']:.3f} ms of "
                    "`locate()` is the session hand-over and building the answer in Python."
                )
            out.append(line)
        prof = ds.get("profile")
        if prof:
            parts = prof["app"]["parts_ms"]
            total = prof["app"]["mean_ms"]
            top = sorted(parts.items(), key=lambda kv: -kv[1])[:4]
            out.append(
                f"{name}: an intake request takes {total:.1f} ms in process against {prof['bare']['mean_ms']:.1f} ms "
                "for the anchor; the largest parts: "
                + "; ".join(f"{k.removeprefix('sql: ')} {v:.2f} ms ({v / total:.0%})" for k, v in top)
                + "."
            )
            sec = [(k, parts[k]) for k in SECURITY_PARTS if k in parts]
            if sec:
                added = sum(v for _, v in sec)
                out.append(
                    f"{name}: authentication, rate limiting and auditing take {added:.2f} ms of the "
                    f"{total:.1f} ms ({added / total:.0%}): "
                    + "; ".join(f"{k.split(' (')[0]} {v:.2f} ms" for k, v in sec)
                    + "."
                )
            srv = prof["app"].get("server", {})
            planning = sum(v["planning_ms"] or 0 for v in srv.values())
            if srv:
                each = ", ".join(
                    f"{k.removeprefix('sql: ')} {v['planning_ms']:.2f} ms"
                    for k, v in sorted(srv.items(), key=lambda kv: -(kv[1]["planning_ms"] or 0))
                    if v["planning_ms"] is not None
                )
                out.append(
                    f"{name}: PostgreSQL planning costs {planning:.2f} ms per intake request ({each}); "
                    "psycopg2 does not prepare statements, so each call is planned again."
                )
    return out


def targets(results: dict) -> list[dict]:
    rows = []
    for ds in results["datasets"]:
        name = ds["label"]
        geo = ds.get("geocode")
        if geo:
            r50, r95 = geo["ratio"]["p50"], geo["ratio"]["p95"]
            rows.append(
                {
                    "what": "geocoding: `locate()` ÷ bare query (p50 / p95)",
                    "dataset": name,
                    "figure": f"{r50:.2f}× / {r95:.2f}×",
                    "target": f"≤ {GEO_TARGET}×",
                    "ok": r50 <= GEO_TARGET and r95 <= GEO_TARGET,
                }
            )
        http = ds.get("http")
        if http:
            ratio = http["throughput"]["ratio"]
            rows.append(
                {
                    "what": "intake throughput ÷ bare endpoint",
                    "dataset": name,
                    "figure": f"{ratio:.2f}× ({http['throughput']['app']['mean_rps']:.0f} vs "
                    f"{http['throughput']['bare']['mean_rps']:.0f} req/s)",
                    "target": f"≥ {THROUGHPUT_TARGET}×",
                    "ok": ratio >= THROUGHPUT_TARGET,
                }
            )
            ol = http["open_loop"]["app"]
            p99 = ol["latency"].get("p99", float("inf"))
            behind = (
                f" (kept up with {ol['achieved_rps']:.0f} req/s only)"
                if ol["achieved_rps"] < 0.95 * ol["offered_rps"]
                else ""
            )
            rows.append(
                {
                    "what": f"intake p99 at {ol['offered_rps']:.0f} req/s (open loop)",
                    "dataset": name,
                    "figure": f"{p99:.1f} ms, {ol['errors']} errors{behind}",
                    "target": f"< {P99_TARGET_MS:.0f} ms, no errors",
                    "ok": p99 < P99_TARGET_MS and ol["errors"] == 0,
                }
            )
    return rows


def render(results: dict) -> str:
    m = results["machine"]
    cfg = results["config"]
    out: list[str] = []
    w = out.append
    w("# Benchmarks")
    w("")
    run_kind = "quick smoke run: short and small, not for quoting" if cfg["quick"] else "full run"
    w(
        f"Generated by `{cfg['command']}` on {results['date']} ({run_kind}). "
        "Regenerated on every run: do not edit by hand; the raw figures are in `bench/out/results-*.json`."
    )
    w("")
    w("## Machine")
    w("")
    w(f"- CPU: {m['cpu']} — **{m['nproc']} cores** (`nproc`); memory {m['memory_gb']:.1f} GB; {m['kernel']}")
    w(
        f"- PostgreSQL {m['postgres']}; PostGIS {m['postgis']} (GEOS {m['geos']}); embedded cluster "
        f"(`shared_buffers` {m['shared_buffers']}, `fsync` {m['fsync']}, "
        f"`synchronous_commit` {m['synchronous_commit']})"
    )
    w(
        f"- Python {m['python']}; Flask {m['flask']}, APIFlask {m['apiflask']}, SQLAlchemy {m['sqlalchemy']}, "
        f"psycopg2 {m['psycopg2']}, gunicorn {m['gunicorn']}; load generator: {m['wrk']}"
    )
    w(
        f"- Everything runs on this one machine over loopback: **the load generator, both gunicorn servers and "
        f"PostgreSQL share the {m['nproc']} cores**, so absolute throughput is lower than on a server with a "
        "separate client, and the ratios to the anchors (measured the same way, in the same run) are the figures "
        "to read."
    )
    w(
        f"- The machine is shared (other engineers' tests may run). Each measurement waits (bounded) until other "
        f'processes use < 0.15 cores, records the CPU they used meanwhile ("other CPU": machine busy time from '
        f"`/proc/stat` minus this benchmark's process trees and its PostgreSQL cluster), and is redone (up to twice) "
        f"when that exceeds 0.25 cores. Load average (1 min) at the start: {m.get('load_start', '?')}, at the end: "
        f"{m.get('load_end', '?')}."
    )
    w("")
    w("## Data sets")
    w("")
    w("| data set | database | grids | communities | townships | points drawn |")
    w("|---|---|---:|---:|---:|---|")
    for ds in results["datasets"]:
        c = ds["counts"]
        w(
            f"| {ds['label']} | `{ds['dbname']}` | {c.get('grids', '–')} | {c.get('communities', '–')} | "
            f"{c.get('townships', '–')} | {ds.get('points_note', '')} |"
        )
    for skipped in results.get("skipped", []):
        w(f"| {skipped['label']} | – | – | – | – | skipped: {skipped['reason']} |")
    w("")
    w("## Targets")
    w("")
    if any(ds.get("http") or ds.get("profile") for ds in results["datasets"]):
        w(_security_path(cfg))
        w("")
    w("| measurement | data set | figure | target | |")
    w("|---|---|---|---|---|")
    for row in targets(results):
        w(f"| {row['what']} | {row['dataset']} | {row['figure']} | {row['target']} | {_yes(row['ok'])} |")
    w("")
    if any(ds.get("geocode") for ds in results["datasets"]):
        _geocode_section(w, results, cfg)
    if any(ds.get("http") for ds in results["datasets"]):
        _http_section(w, results, cfg)
    _rest(w, results)
    return "\n".join(out)


def _geocode_section(w, results, cfg):
    w("## 1. Single-point geocoding latency in PostGIS")
    w("")
    w(
        f"Method: {cfg['geocode_points']} points drawn uniformly at random (seed {cfg['seed']}) over the "
        "grids' union (rejection sampling in the extent, so every point is inside a grid). One engine built like "
        "the app's (`gisapp.db.make_engine`), one session and its one connection. Warm-up: every point once "
        f"through the anchor, then {cfg['geocode_warmup']} points through every variant. Then for each point "
        "every variant runs once, back to back, in a seeded random order (interleaved, so caches, drift and "
        "noise fall on all variants alike); the timer wraps the Python call including fetching the row. "
        "The anchor is `SELECT code FROM grids WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s,%s),4326)) "
        "LIMIT 1` on the raw psycopg2 cursor of the same connection. Diagnostic variants split the "
        "difference into SQLAlchemy's share and the SQL's, and show the same SQL without any per-call "
        "planning: a server-side prepared statement (`PREPARE` once, `EXECUTE` per point) with "
        "`plan_cache_mode = force_generic_plan` (at `auto`, PostgreSQL may keep choosing custom plans, i.e. "
        "re-planning every call, when they are estimated cheaper than the generic one)."
    )
    if results.get("locate_sql"):
        w("")
        w("The service's SQL as measured (from `gisapp/services/jurisdiction/geocode.py` at the time of the run):")
        w("")
        w("```sql")
        w(results["locate_sql"].strip())
        w("```")
    w("")
    for ds in results["datasets"]:
        geo = ds.get("geocode")
        if not geo:
            continue
        base = geo["stats"]["bare"]
        w(
            f"**{ds['label']}** ({geo['points']} points; ms; other processes used "
            f"{geo.get('foreign_cores', float('nan')):.2f} cores meanwhile)"
        )
        w("")
        w("| variant | p50 | p95 | p99 | mean | ratio p50 | ratio p95 | ratio p99 |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name in ("bare", "bare_sqla", "locate_sql", "locate", "locate_prepared"):
            s = geo["stats"].get(name)
            if not s:
                continue
            w(
                f"| {VARIANT_LABEL[name]} | {_f(s['p50'], 3)} | {_f(s['p95'], 3)} | {_f(s['p99'], 3)} | "
                f"{_f(s['mean'], 3)} | {s['p50'] / base['p50']:.2f}× | {s['p95'] / base['p95']:.2f}× | "
                f"{s['p99'] / base['p99']:.2f}× |"
            )
        w("")
        srv = geo.get("server")
        if srv:
            w(
                f"Inside PostgreSQL (`EXPLAIN (ANALYZE, SUMMARY)`, median of 25 points): the bare query plans in "
                f"{srv['bare']['planning_ms']:.3f} ms and runs in {srv['bare']['execution_ms']:.3f} ms; "
                f"the service's SQL plans (when not prepared) in **{srv['locate']['planning_ms']:.3f} ms** and runs in "
                f"{srv['locate']['execution_ms']:.3f} ms."
            )
            w("")


def _http_section(w, results, cfg):
    w("## 2. Event intake over HTTP")
    w("")
    g = cfg["gunicorn"]
    w(
        f"Both servers run at the same time as child processes on free loopback ports, each under {g}, with "
        "the same engine (`gisapp.db.make_engine`, a pool of 10 per worker). "
        "**App**: `gisapp:create_app()`, `POST /api/v1/events` — its whole intake path as the code stands at "
        "the run: the permission check with the API key look-up (authentication), the rate-limit counter "
        "(its own transaction), validation, category, geocoding, routing, deadlines, the INSERT of the event and "
        "its log entry, the event's audit record (advisory lock, last hash, HMAC, INSERT) in the same "
        "transaction, the JSON response. It is called as the bench's integration (`X-API-Key`), with "
        f"`GISAPP_INTAKE_RATE_CLIENT` = `GISAPP_INTAKE_RATE_PRINCIPAL` = {_limit(cfg)} per minute: on, never reached. "
        "**Anchor**: `bench/bare_app.py`, plain Flask on the same stack, `POST /intake` doing one INSERT of the "
        "posted JSON (jsonb, unique `client_ref`) and returning 201, without credentials — the same anchor as "
        "before the app gained authentication, rate limiting and auditing. Every request is a distinct, realistic "
        "report: a unique `client_ref`, a category rotated through the catalogue, a channel rotated through "
        "those the integration may use, a point drawn at random "
        f"(seed {cfg['seed'] + 1}) inside the grids. Bench rows of earlier runs are deleted before the run "
        "(their audit records stay: the audit trail is append-only). Every response is checked: each request is "
        "a new report, so anything but `201 Created` (or a socket error or timeout) counts as an error "
        "(wrk counts the statuses in the script's `response()`)."
    )
    w("")
    w(
        f"(a) **Throughput, closed loop**: {cfg['closed_tool']}, {cfg['connections']} connections "
        f"({cfg['wrk_threads']} threads), {cfg['closed_duration']:.0f} s per round after a "
        f"{cfg['warm_duration']:.0f} s warm-up of each server; rounds alternate "
        f"{' → '.join(cfg['round_order'])} so drift falls on both. Latencies here are closed-loop (they grow "
        "with the queue) and only describe this saturation test."
    )
    w("")
    w(
        f"(b) **Latency at a fixed offered load**: open loop at {cfg['rate']:.0f} requests/s for "
        f"{cfg['rate_duration']:.0f} s — a Python generator sends each request on schedule "
        f"(`http.client` connections, kept alive when the server allows it, {cfg['open_clients']} client threads) "
        "whatever the responses; "
        "latency is counted from the scheduled send time, so queueing behind a slow response is included "
        "(no coordinated omission). Service time (from the actual send) is shown beside it."
    )
    w("")
    for ds in results["datasets"]:
        http = ds.get("http")
        if not http:
            continue
        t = http["throughput"]
        w(f"**{ds['label']} — (a) throughput** (closed loop, {cfg['connections']} connections)")
        w("")
        w(
            "| server | req/s per round | mean req/s | p50 ms | p90 ms | p99 ms | errors (not 201) "
            "| other CPU, cores | ratio to anchor |"
        )
        w("|---|---|---:|---:|---:|---:|---:|---|---:|")
        for key, label in (("bare", "anchor: bare Flask INSERT"), ("app", "**gisapp intake**")):
            s = t[key]
            rounds = ", ".join(f"{r['rps']:.0f}" for r in s["rounds"])
            last = s["rounds"]
            p50 = sum(r["p50"] for r in last) / len(last)
            p90 = [r["p90"] for r in last if r["p90"] is not None]
            p99 = sum(r["p99"] for r in last) / len(last)
            errors = sum(r["errors"] for r in last)
            ratio = "1.00×" if key == "bare" else f"**{t['ratio']:.2f}×**"
            other = ", ".join(f"{r.get('foreign_cores', float('nan')):.2f}" for r in last)
            w(
                f"| {label} | {rounds} | {s['mean_rps']:.0f} | {p50:.1f} | "
                f"{(sum(p90) / len(p90)) if p90 else float('nan'):.1f} | {p99:.1f} | {errors} | {other} | {ratio} |"
            )
        w("")
        w(f"**{ds['label']} — (b) latency at {cfg['rate']:.0f} req/s** (open loop, ms)")
        w("")
        w(
            "| server | sent | 201 | errors (not 201) | achieved req/s | p50 | p95 | p99 | max "
            "| service p50 | service p99 | other CPU, cores |"
        )
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key, label in (("bare", "anchor: bare Flask INSERT"), ("app", "**gisapp intake**")):
            o = http["open_loop"][key]
            lat, svc = o["latency"], o["service"]
            w(
                f"| {label} | {o['sent']} | {o['ok']} | {o['errors']} | {o['achieved_rps']:.0f} | "
                f"{_f(lat.get('p50'), 1)} | {_f(lat.get('p95'), 1)} | {_f(lat.get('p99'), 1)} | "
                f"{_f(lat.get('max'), 1)} | {_f(svc.get('p50'), 1)} | {_f(svc.get('p99'), 1)} | "
                f"{_f(o.get('foreign_cores'))} |"
            )
        w("")
        for key, label in (("bare", "the anchor"), ("app", "the app")):
            o = http["open_loop"][key]
            if o["achieved_rps"] < 0.95 * o["offered_rps"]:
                w(
                    f"At {o['offered_rps']:.0f} req/s {label} was overloaded: it answered {o['achieved_rps']:.0f} "
                    "req/s, so requests queued for the whole run and its latency grows with the run's length "
                    "(it is a backlog, not a service time)."
                )
                w("")


def _rest(w, results):
    profiles = [ds for ds in results["datasets"] if ds.get("profile")]
    if profiles:
        w("## 3. Where an intake request's time goes (in process)")
        w("")
        w(
            "Flask's test client drives each app in one thread (no gunicorn, no HTTP socket, no concurrency), "
            "with timers on each SQL statement, the pool's pre-ping (if the engine uses it), COMMIT, "
            "marshmallow's output dump (if called) and the report validation, and three blocks timed whole "
            "(their SQL, COMMIT and Python together): the API key look-up (authentication; it is the first "
            "statement of the request's transaction, so it carries psycopg2's `BEGIN`), the rate-limit counter "
            "(its own short transaction on a second pooled connection, COMMIT included) and the event's audit "
            "record (advisory lock, last hash, HMAC, INSERT; its COMMIT is the request's). The rest is "
            "Flask/APIFlask, JSON and the service's own Python. psycopg2 sends "
            "`BEGIN` as its own round trip before the first statement of a transaction; it is counted in that "
            "statement. The app is called as the bench's integration (`X-API-Key`) with the same rate limits as "
            f"over HTTP ({_limit(results['config'])} per minute: on, never reached); every response must be 201. "
            "Mean ms per request; a cProfile listing "
            "is written to `bench/out/profile-intake-*.txt`."
        )
        w("")
        for ds in profiles:
            p = ds["profile"]
            keys = list(dict.fromkeys([*p["app"]["parts_ms"], *p["bare"]["parts_ms"]]))
            w(f"**{ds['label']}** ({p['app']['n']} requests each)")
            w("")
            w("| part | gisapp intake ms | anchor ms |")
            w("|---|---:|---:|")
            for k in keys:
                a, b = p["app"]["parts_ms"].get(k), p["bare"]["parts_ms"].get(k)
                w(f"| {k} | {_f(a, 3)} | {_f(b, 3)} |")
            w(f"| **total** | **{p['app']['mean_ms']:.3f}** | **{p['bare']['mean_ms']:.3f}** |")
            w("")
            srv = {**p["app"].get("server", {}), **p["bare"].get("server", {})}
            if srv:
                w(
                    "Inside PostgreSQL, per statement as the apps sent it (medians of 25 `EXPLAIN (SUMMARY)` / "
                    "`EXPLAIN (ANALYZE)`; INSERTs are planned, not run):"
                )
                w("")
                w("| statement | planning ms | execution ms | driver round trip ms (above) |")
                w("|---|---:|---:|---:|")
                parts = {**p["bare"]["parts_ms"], **p["app"]["parts_ms"]}
                for k, v in srv.items():
                    w(
                        f"| {k.removeprefix('sql: ')} | {_f(v['planning_ms'], 3)} | {_f(v['execution_ms'], 3)} | "
                        f"{_f(parts.get(k), 3)} |"
                    )
                w("")
    findings = _findings(results)
    if findings:
        w("## Findings")
        w("")
        for f in findings:
            w(f"- {f}")
        w("")
    if results.get("notes"):
        w("## Notes")
        w("")
        for note in results["notes"]:
            w(f"- {note}")
        w("")
    w("## Reproduce")
    w("")
    w("```")
    w("make bench                                   # = .venv/bin/python -m bench.run (full: demo + 100,000 grids)")
    w(".venv/bin/python -m bench.run --quick        # smoke test: 5,000 synthetic grids, short runs, writes bench/out/")
    w(".venv/bin/python -m bench.run --help         # sizes, durations, workers, connections")
    w("```")
    w("")
    w(
        "The benchmark databases `gisapp_bench_demo` and `gisapp_bench_synth` live in the embedded cluster and "
        "are rebuilt when missing or when their source changed; the synthetic jurisdiction is cached under "
        "`bench/out/`. wrk is installed with apt-get when missing (as root); without it a Python closed-loop "
        "client is used instead and the doc says so."
    )
    w("")
    w(
        "Support ranking on the 100,000-grid layer (`support_candidates()` against PostGIS KNN, adjacency-graph "
        "builds): [benchmarks-support.md](benchmarks-support.md), written by `python -m bench.support_bench`."
    )
    w("")
    w(
        "Layer import (reading, checking and writing cameras against a bare bulk INSERT): "
        "[benchmarks-import.md](benchmarks-import.md), written by `python -m bench.import_bench`."
    )
    w("")
    w(
        "Bulk spatial work of the layer side on the 100,000-grid layer (re-assigning 1,000,000 points against "
        "`geopandas.sjoin`, the adjacency graph against libpysal and PostGIS, the grid index's memory): "
        "[benchmarks-layers.md](benchmarks-layers.md), written by `python -m bench.layers_bench`."
    )
    w("")
    w(
        "Camera coverage of 5,000 key road sections by 20,000 cameras (full recompute against the naive per-road "
        "ST_Union SQL, trigger costs): [benchmarks-coverage.md](benchmarks-coverage.md), written by "
        "`python -m bench.coverage_bench`."
    )
    w("")
    w(
        "Validating one grid edit of the 100,000-grid layer (`check_layout()` against the same checks in PostGIS "
        "SQL): [benchmarks-validation.md](benchmarks-validation.md), written by `python -m bench.validation_bench`."
    )
    w("")
    w(
        "Vector tiles on the 100,000-grid county (built, cached and 304 tiles against the bare `ST_AsMVT` query, "
        "largest tile per zoom): [benchmarks-tiles.md](benchmarks-tiles.md), written by `python -m bench.tiles_bench`."
    )
    w("")
    w(
        "Evaluation figures on a synthetic history of millions of events over two years on the 100,000-grid county "
        "(`measures()` and `evaluate()` from the roll-ups against the plain GROUP BY over the rows, per scope, month "
        "and year; COPY rate and `eval_rebuild()`): [benchmarks-evaluation.md](benchmarks-evaluation.md), written by "
        "`python -m bench.evaluation_bench`."
    )
    w("")
