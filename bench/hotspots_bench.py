"""Hot spots (Getis-Ord Gi*) over the 100,000-grid synthetic county, against libpysal's own contiguity + esda.

    .venv/bin/python -m bench.hotspots_bench [--grids 100000] [--repeats 5] [--permutations 999]

Data: the synthetic jurisdiction of bench/run.py (`gisapp demo synth`, seed 1, cached under bench/out/) in a
database of its own, `gisapp_bench_hotspots`, with the adjacency graph the loader builds (sql/013's rule).
The synthesizer makes only axis-aligned rectangular grids (no irregular option), so every grid has at most 8
neighbours, as on the digitised demo county (median 6-8). Events: per grid a seeded count (Poisson 0.3 as
background, Poisson 6 in 20 planted clusters of a grid and its two rings), inserted by one bulk INSERT in a
transaction that is rolled back at the end (the intake service would take an hour for ~35,000 events; the
analysis only reads them).

Measured (medians of --repeats, the variants interleaved in each repeat, one process and one connection):
  pairs     gisapp.services.evaluation.hotspots.adjacency_pairs: staleness check of the graph, its contacts within the
            county (each once) read from grid_adjacency
  gi_star   gisapp.spatial.hotspots.getis_ord_star: the libpysal W from those pairs (binary, each grid its own
            neighbour), esda G_Local (analytical z and p), the classes
  counts    gisapp.services.evaluation.hotspots.event_counts_by_grid for the county, all categories
  service   gisapp.services.evaluation.hotspots.hot_spots: counts, pairs, Gi*, names (what the API calls)
  anchor    libpysal.weights.Queen.from_dataframe on the same grids (geometries already in a GeoDataFrame)
            + esda G_Local with the same settings and the same classification; classes asserted IDENTICAL
            to ours on every grid in every repeat
The target: pairs + gi_star (Gi* from the app's adjacency, weights included) under 5 s. Also once: the
naive esda call, G_Local with --permutations conditional permutations (seed 1, one job), on our W.
Writes docs/benchmarks-hotspots.md and bench/out/hotspots-results.json.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from datetime import date, datetime, timezone
from importlib import metadata as md
from pathlib import Path

import numpy as np
from sqlalchemy import text

from bench.common import ROOT, CpuMonitor, Dataset, bench_main, log, synthetic_dataset

DBNAME = "gisapp_bench_hotspots"
DOC = ROOT / "docs" / "benchmarks-hotspots.md"
TARGET_S = 5.0
PERIOD = (date(2026, 11, 1), date(2026, 12, 1))
REPORTED_AT = datetime(2026, 11, 15, 2, 0, tzinfo=timezone.utc)
VARIANTS = ("pairs", "gi_star", "counts", "service", "anchor")

INSERT_EVENTS = text("""
INSERT INTO events (category_code, channel, status, level, priority, geom, reported_crs, reported_lon, reported_lat,
                    grid_code, community_code, township_code, county_code, center_code, assignee_kind, team_code,
                    respond_by, handle_by, created_at)
SELECT :category, 'patrol', 'dispatched', 1, 'normal', p.pt, 'EPSG:4326', ST_X(p.pt), ST_Y(p.pt),
       gd.grid_code, gd.community_code, gd.township_code, gd.county_code, gd.sub_center_code, 'team', gd.team_code,
       :at, :at, :at
FROM unnest(CAST(:codes AS text[]), CAST(:counts AS int[])) AS c (code, n)
JOIN grid_directory gd ON gd.grid_code = c.code
CROSS JOIN LATERAL (SELECT ST_PointOnSurface(geom) AS pt FROM grids WHERE code = c.code) p
CROSS JOIN generate_series(1, c.n)""")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.hotspots_bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--grids", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic jurisdiction")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--permutations", type=int, default=999, help="the naive esda call's permutations (0: skip)")
    p.add_argument("--doc", type=Path, default=DOC)
    return p.parse_args(argv)


def prepare(args) -> Dataset:
    return synthetic_dataset(args, DBNAME)


def planted_counts(codes: list[str], pairs: list[tuple[str, str]], seed: int = 11) -> np.ndarray:
    """Poisson(0.3) per grid, Poisson(6) in 20 clusters (a grid and its two rings of neighbours)."""
    rng = np.random.default_rng(seed)
    index = {c: i for i, c in enumerate(codes)}
    neighbours: dict[int, set[int]] = {}
    for a, b in pairs:
        neighbours.setdefault(index[a], set()).add(index[b])
        neighbours.setdefault(index[b], set()).add(index[a])
    counts = rng.poisson(0.3, len(codes))
    for centre in rng.choice(len(codes), 20, replace=False):
        ring1 = neighbours.get(int(centre), set())
        block = {int(centre), *ring1, *(n for r in ring1 for n in neighbours.get(r, ()))}
        for i in block:
            counts[i] = rng.poisson(6)
    return counts


def read_frame(session, codes: list[str]):
    """The grids as a GeoDataFrame in code order (the anchor's input; not timed)."""
    import geopandas as gpd
    import shapely

    rows = session.execute(text("SELECT code, ST_AsBinary(geom) FROM grids ORDER BY code")).all()
    assert [r[0] for r in rows] == codes
    return gpd.GeoDataFrame({"code": codes}, geometry=shapely.from_wkb([bytes(r[1]) for r in rows]), crs=4326)


def anchor(frame, counts) -> list[str]:
    """libpysal Queen contiguity from the geometries + esda Gi* (binary, star), classified as ours."""
    from esda.getisord import G_Local
    from libpysal.weights import Queen
    from scipy import stats

    from gisapp.spatial.hotspots import classify

    w = Queen.from_dataframe(frame, ids=frame["code"].tolist(), use_index=False, silence_warnings=True)
    z = G_Local(counts.astype(float), w, transform="B", star=True, permutations=0).Zs
    p = 2 * stats.norm.sf(np.abs(z))
    return [classify(a, b) for a, b in zip(z.tolist(), p.tolist())]


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def run(args, ds: Dataset) -> dict:
    from gisapp.db import make_engine, make_session_factory
    from gisapp.domain.analysis import Period
    from gisapp.services.evaluation.hotspots import Area, adjacency_pairs, event_counts_by_grid, hot_spots
    from gisapp.spatial.hotspots import getis_ord_star

    engine = make_engine(ds.url, pool_size=1)
    session = make_session_factory(engine)()
    try:
        session.execute(text("SET LOCAL statement_timeout = 0"))
        county = session.execute(text("SELECT code FROM counties ORDER BY code LIMIT 1")).scalar_one()
        area, period = Area("county_code", county), Period(*PERIOD)
        pairs = adjacency_pairs(session, area)
        codes = sorted(event_counts_by_grid(session, area.column, area.code, None, *PERIOD))
        counts = planted_counts(codes, pairs)
        category = session.execute(text("SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")).scalar()
        session.execute(
            INSERT_EVENTS, {"category": category, "at": REPORTED_AT, "codes": codes, "counts": counts.tolist()}
        )
        log(f"{len(codes):,} grids, {len(pairs):,} contacts, {int(counts.sum()):,} events inserted (rolled back)")
        frame = read_frame(session, codes)
        fns = {
            "pairs": lambda: adjacency_pairs(session, area),
            "gi_star": lambda: getis_ord_star(codes, counts, pairs),
            "counts": lambda: event_counts_by_grid(session, area.column, area.code, None, *PERIOD),
            "service": lambda: hot_spots(session, area, None, period),
            "anchor": lambda: anchor(frame, counts),
        }
        monitor = CpuMonitor()
        monitor.wait_quiet(limit=90)
        started = monitor.snapshot()
        times, ours = measure(fns, args.repeats, codes, counts)
        foreign = monitor.foreign_cores(started)
        permuted = naive_permutations(codes, counts, pairs, args.permutations)
    finally:
        session.rollback()
        session.close()
        engine.dispose()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "database": ds.dbname,
        "grids": len(codes),
        "contacts": len(pairs),
        "events": int(counts.sum()),
        "repeats": args.repeats,
        "times": times,
        "classes": {k: ours.count(k) for k in sorted(set(ours))},
        "permuted": permuted,
        "foreign_cores": foreign,
        "machine": machine(),
    }


def measure(fns: dict, repeats: int, codes, counts) -> tuple[dict, list[str]]:
    """Seconds per variant and repeat (order reversed every other repeat); our classes, checked against the
    anchor's and the service's on every repeat."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    ours: list[str] = []
    for repeat in range(repeats):
        results = {}
        for name in VARIANTS if repeat % 2 == 0 else VARIANTS[::-1]:
            elapsed, results[name] = timed(fns[name])
            times[name].append(elapsed)
        ours = results["gi_star"].classes
        assert ours == results["anchor"], "the anchor's classes differ from ours"
        assert [g["class"] for g in results["service"]["grids"]] == ours
        assert [results["counts"][c] for c in codes] == counts.tolist()
        log(f"repeat {repeat + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
    return times, ours


def naive_permutations(codes, counts, pairs, permutations: int) -> dict | None:
    """Once: esda's G_Local with conditional permutations (seed 1, one job) on the same W."""
    if not permutations:
        return None
    from esda.getisord import G_Local

    from gisapp.spatial.hotspots import weights

    w = weights(codes, pairs)
    elapsed, g = timed(
        lambda: G_Local(counts.astype(float), w, transform="B", star=None, permutations=permutations, seed=1, n_jobs=1)
    )
    log(f"G_Local with {permutations} permutations: {elapsed:.1f} s")
    return {"permutations": permutations, "seconds": elapsed, "p_sim_below_05": int((g.p_sim < 0.05).sum())}


def machine() -> dict:
    import os

    load = os.getloadavg()[0]
    versions = {p: md.version(p) for p in ("esda", "libpysal", "numpy", "scipy", "shapely", "geopandas")}
    return {"python": platform.python_version(), "cores": os.cpu_count(), "load": load, "versions": versions}


def median(values: list[float]) -> float:
    return statistics.median(values)


def render(r: dict) -> str:
    t = {k: median(v) for k, v in r["times"].items()}
    ours = t["pairs"] + t["gi_star"]
    met = ours < TARGET_S
    m = r["machine"]
    labels = {
        "pairs": "`adjacency_pairs`: the app's graph (grid_adjacency) within the county, each contact once",
        "gi_star": "**`getis_ord_star`**: libpysal W from the pairs (binary, star) + esda Gi* + classes",
        "counts": "`event_counts_by_grid`: accepted events per grid of the county in the period",
        "service": "`hot_spots`: counts + pairs + Gi* + names (what the API calls)",
        "anchor": "anchor: `libpysal.weights.Queen.from_dataframe` + esda Gi* (same settings) + classes",
    }
    rows = [f"| {labels[k]} | {t[k]:.2f} | {', '.join(f'{x:.2f}' for x in r['times'][k])} |" for k in VARIANTS]
    perm = r["permuted"]
    lines = [
        "# Benchmark: hot spots (Getis-Ord Gi*, standard 7.1.1.5)",
        "",
        f"Generated by `python -m bench.hotspots_bench` on {r['date']}; do not edit by hand (raw figures: "
        "`bench/out/hotspots-results.json`). How each figure is measured: the docstring of `bench/hotspots_bench.py`.",
        "",
        "## Machine",
        "",
        f"- {m['cores']} cores shared with other engineers' work (load average {m['load']:.2f} at the end; other "
        f"processes used {r['foreign_cores']:.2f} cores during the measurement); Python {m['python']}",
        "- " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
        "## Data",
        "",
        f"- database `{r['database']}`: {r['grids']:,} synthetic grids (axis-aligned rectangles: the synthesizer "
        f"has no irregular grids), {r['contacts']:,} contacts in the app's adjacency graph (edge or corner, each once)",
        f"- {r['events']:,} events (background and 20 planted clusters), rolled back at the end",
        "- classes found: " + ", ".join(f"{k} {v:,}" for k, v in r["classes"].items()),
        "",
        "## Target",
        "",
        "| measurement | figure | target | |",
        "|---|---:|---:|---|",
        f"| Gi* from the app's adjacency, weights included (`adjacency_pairs` + `getis_ord_star`) | {ours:.2f} s "
        f"| < {TARGET_S:.0f} s | **{'met' if met else 'missed'}** |",
        "",
        "The anchor (libpysal's own contiguity from the geometries, then the same esda call) takes "
        f"{t['anchor']:.2f} s, {t['anchor'] / ours:.1f}× ours: the app's graph is built once and kept current "
        "(sql/013, triggers), so the analysis only reads it, where the anchor derives contiguity from the "
        "geometries on every call. Classes are asserted identical to the anchor's on every grid in every repeat "
        "(on rectangles Queen contiguity and the app's tolerant graph are the same graph).",
        "",
        f"## Timings (s, medians of {r['repeats']}, variants interleaved)",
        "",
        "| variant | median s | runs s |",
        "|---|---:|---|",
        *rows,
        "",
    ]
    if perm:
        lines += [
            f"The naive esda call with {perm['permutations']} conditional permutations (seed 1, one job, "
            f"no numba installed) on the same W, once: **{perm['seconds']:.1f} s** "
            f"({perm['p_sim_below_05']:,} grids with a pseudo p below 0.05): why the API uses the analytical "
            "p-value.",
            "",
        ]
    lines += [
        "## Reproduce",
        "",
        "```",
        ".venv/bin/python -m bench.hotspots_bench                # 100,000 grids",
        ".venv/bin/python -m bench.hotspots_bench --grids 5000 --repeats 3 --doc bench/out/hotspots-quick.md",
        "```",
        "",
    ]
    return "\n".join(lines)


def summary(r: dict) -> str:
    t = {k: median(v) for k, v in r["times"].items()}
    return (
        f"Gi* from the app's adjacency {t['pairs'] + t['gi_star']:.2f} s (target {TARGET_S:.0f} s); "
        f"anchor {t['anchor']:.2f} s; service {t['service']:.2f} s"
    )


def main(argv=None) -> None:
    bench_main(parse_args(argv), prepare, run, render, "hotspots-results.json", summary)


if __name__ == "__main__":
    main()
