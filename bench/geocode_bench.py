"""Measurement 1: single-point geocoding latency in PostGIS, locate() against the bare indexed query.

One engine made like the app's (gisapp.db.make_engine), one session, one connection. For each
point the variants run back to back in a seeded random order, so cache state, drift and noise
fall on all of them alike. Variants:

  bare        the anchor: SELECT code FROM grids WHERE ST_Covers(...) LIMIT 1, psycopg2 cursor
  bare_sqla   the same SQL through session.execute(text(...))  (SQLAlchemy's share)
  locate_sql  the service's SQL (grid_directory, ORDER BY grid_code) as plain text on the psycopg2
              cursor, planned on every call  (the SQL's share)
  locate      gisapp.services.jurisdiction.geocode.locate(session, lon, lat)  (what the app calls: the same SQL
              prepared once per connection, through the session)
  locate_prepared  the same prepared statement EXECUTEd on the raw psycopg2 cursor (what locate()
              costs without SQLAlchemy)
"""

from __future__ import annotations

import random
import re
import time

from sqlalchemy import text

from bench.common import log, summarize_ms

BARE_SQL = "SELECT code FROM grids WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s,%s),4326)) LIMIT 1"
BARE_TEXT = text("SELECT code FROM grids WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon,:lat),4326)) LIMIT 1")
VARIANTS = ("bare", "bare_sqla", "locate_sql", "locate", "locate_prepared")


def _pyformat(sql: str) -> str:
    return re.sub(r"(?<!:):(lon|lat)\b", r"%(\1)s", sql)


def run_geocode(url: str, points: list[tuple[float, float]], *, warmup: int, seed: int) -> dict:
    from gisapp.db import make_engine, make_session_factory
    from gisapp.services.jurisdiction.geocode import LOCATE, covering_grid, locate

    LOCATE_SQL = text(covering_grid(":lon", ":lat"))  # the same SQL with named parameters

    engine = make_engine(url, pool_size=1)
    session = make_session_factory(engine)()
    locate_sql = _pyformat(str(LOCATE_SQL))
    try:
        # only prepared statements heed plan_cache_mode; committed so that rollbacks keep it
        session.execute(text("SET plan_cache_mode = force_generic_plan"))
        session.commit()
        cur = session.connection().connection.cursor()

        def bare(lon, lat):
            cur.execute(BARE_SQL, (lon, lat))
            return cur.fetchone()

        def bare_sqla(lon, lat):
            return session.execute(BARE_TEXT, {"lon": lon, "lat": lat}).one_or_none()

        def raw_locate(lon, lat):
            cur.execute(locate_sql, {"lon": lon, "lat": lat})
            return cur.fetchone()

        def service(lon, lat):
            return locate(session, lon, lat)

        def prepared(lon, lat):
            cur.execute("EXECUTE bench_locate(%s, %s)", (lon, lat))
            return cur.fetchone()

        cur.execute("PREPARE bench_locate(float8, float8) AS " + LOCATE.sql)  # survives rollbacks

        fns = {
            "bare": bare,
            "bare_sqla": bare_sqla,
            "locate_sql": raw_locate,
            "locate": service,
            "locate_prepared": prepared,
        }
        # sanity: every variant finds a grid for the first points
        for lon, lat in points[:20]:
            found = [bare(lon, lat), bare_sqla(lon, lat), raw_locate(lon, lat), prepared(lon, lat)]
            if None in found:
                raise RuntimeError(f"a point inside the grids was not located: {lon}, {lat}")
            service(lon, lat)  # raises OutsideJurisdiction if not found
        plan = "\n".join(
            r[0]
            for r in session.execute(
                text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + str(LOCATE_SQL)),
                {"lon": points[0][0], "lat": points[0][1]},
            )
        )
        plan_bare = "\n".join(
            r[0]
            for r in session.execute(
                text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + str(BARE_TEXT)),
                {"lon": points[0][0], "lat": points[0][1]},
            )
        )
        rng = random.Random(seed)
        order = list(VARIANTS)
        # warm-up: every point once through the anchor (pages into shared buffers), then all variants
        for lon, lat in points:
            bare(lon, lat)
        for lon, lat in points[:warmup]:
            rng.shuffle(order)
            for name in order:
                fns[name](lon, lat)
        session.rollback()
        cur = session.connection().connection.cursor()  # check the connection out again first
        timings: dict[str, list[float]] = {name: [] for name in VARIANTS}
        clock = time.perf_counter
        for i, (lon, lat) in enumerate(points):
            rng.shuffle(order)
            for name in order:
                fn = fns[name]
                t0 = clock()
                fn(lon, lat)
                timings[name].append(clock() - t0)
            if i % 500 == 499:  # no transaction held open for the whole run
                session.rollback()
                cur = session.connection().connection.cursor()
        if session.execute(text("SHOW plan_cache_mode")).scalar_one() != "force_generic_plan":
            raise RuntimeError("the measuring connection changed during the run")
        stats = {name: summarize_ms(values) for name, values in timings.items()}
        planning = {}
        for name, sql in (("bare", str(BARE_TEXT)), ("locate", str(LOCATE_SQL))):
            plan_ms, exec_ms = [], []
            for lon, lat in points[:25]:
                rows = [
                    r[0]
                    for r in session.execute(
                        text("EXPLAIN (ANALYZE, SUMMARY ON, TIMING OFF) " + sql), {"lon": lon, "lat": lat}
                    )
                ]
                plan_ms += [float(r.split(":")[1].split()[0]) for r in rows if r.startswith("Planning Time")]
                exec_ms += [float(r.split(":")[1].split()[0]) for r in rows if r.startswith("Execution Time")]
            planning[name] = {
                "planning_ms": sorted(plan_ms)[len(plan_ms) // 2],
                "execution_ms": sorted(exec_ms)[len(exec_ms) // 2],
            }
        ratio = {q: stats["locate"][q] / stats["bare"][q] for q in ("p50", "p95", "p99", "mean")}
        log(
            "geocode p50 ms: "
            + ", ".join(f"{k} {v['p50']:.3f}" for k, v in stats.items())
            + f"; locate/bare p50 {ratio['p50']:.2f}x p95 {ratio['p95']:.2f}x"
        )
        return {
            "points": len(points),
            "warmup": warmup,
            "stats": stats,
            "ratio": ratio,
            "server": planning,
            "plan_locate": plan,
            "plan_bare": plan_bare,
        }
    finally:
        session.close()
        engine.dispose()
