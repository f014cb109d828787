"""Bulk spatial work of the layer side on the synthetic layer, each against its anchor in the same run.

    .venv/bin/python -m bench.layers_bench [--grids 100000] [--points 1000000] [--repeats 5] [--skip-sql]

Data: the synthetic jurisdiction of bench/run.py (`gisapp demo synth --grids N`, seed 1, cached under
bench/out/), its grids.geojson read with pyogrio; the demo county 玄武区 (457 digitised grids) as a
second, irregular layer for the re-assignment.

1. Re-assignment of points to grids: `PointAssigner.assign` (gisapp.spatial.reassign) against
   `geopandas.sjoin(points, grids, predicate="intersects")` followed by the same tie rule (the lowest
   code among the grids a point joined: the grids frame is sorted by code, so the minimum of
   `index_right` per point). Points: `--points` in all, 5 % of them exactly on grid vertices and edge
   midpoints (shared edges and vertices), the rest uniform over the layer's extent (seeded). Both start
   from the same two float arrays (lon, lat) and end with one code (or None) per point; "warm": the
   grid index is built beforehand (the sjoin frame's sindex, the PointAssigner) and reused; "cold": it is
   built in the timed call, as the service does. Answers are asserted IDENTICAL on every repeat. Also
   shown: the GEOS-only path (rectangle shortcut off: what irregular grids cost) and sjoin "within"
   (faster, but it loses every point on an edge: the mismatch count is shown).
2. Adjacency graph: `build_adjacency` (gisapp.spatial.adjacency: contacts within 1 m, shared length,
   edge or corner, in the Gauss-Kruger zone) against `libpysal.weights.Queen.from_dataframe` (shared
   vertices); neighbour sets asserted IDENTICAL, and its 'edge' contacts against libpysal Rook. Unless
   --skip-sql: the full build in PostgreSQL (`refresh_grid_adjacency(1.0)`, sql/013) against the app's
   in-process full build (`rebuild_adjacency`: read the grids, compute, COPY), once each, in the bench
   database `gisapp_bench_layers` (loaded once, like the other benches).
3. Memory: a fresh subprocess imports the app's spatial stack, reads the grid layer, builds
   `GridIndex` (rtree + prepared shapely) and reports its resident set (VmRSS) before and after, and
   the time of replacing one grid's shape (an edit).

Timings are medians of --repeats runs, the variants interleaved in each repeat. Writes
docs/benchmarks-layers.md and bench/out/layers-results.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata as md
from pathlib import Path

import numpy as np

from bench.common import OUT, ROOT, log, write_json

DOC = ROOT / "docs" / "benchmarks-layers.md"
DEMO_GRIDS = ROOT / "layers" / "demo" / "grids.geojson"
DBNAME = "gisapp_bench_layers"
TARGETS = {"reassign": 2.0, "adjacency": 3.0, "rss_mb": 500.0}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.layers_bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--grids", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic jurisdiction")
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--skip-sql", action="store_true", help="do not time the PostgreSQL full build")
    p.add_argument("--doc", type=Path, default=DOC)
    p.add_argument("--render-only", action="store_true", help="rewrite the doc from bench/out/layers-results.json")
    p.add_argument("--measure-index", type=Path, help=argparse.SUPPRESS)  # the memory subprocess
    return p.parse_args(argv)


def read_grids(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import geopandas as gpd

    frame = gpd.read_file(path, engine="pyogrio", columns=["code"])
    return frame["code"].to_numpy(dtype=object), np.asarray(frame.geometry.values, dtype=object)


def make_points(geoms: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """n points: 5 % on grid vertices and edge midpoints, the rest uniform over the extent."""
    import shapely

    rng = np.random.default_rng(seed)
    coords, owner = shapely.get_coordinates(shapely.boundary(geoms), return_index=True)
    same = owner[1:] == owner[:-1]
    on_edges = np.unique(np.vstack([coords, (coords[1:][same] + coords[:-1][same]) / 2]), axis=0)
    k = min(len(on_edges), n // 20)
    picked = on_edges[rng.choice(len(on_edges), k, replace=False)]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    lon = np.concatenate([picked[:, 0], rng.uniform(minx, maxx, n - k)])
    lat = np.concatenate([picked[:, 1], rng.uniform(miny, maxy, n - k)])
    order = rng.permutation(n)
    return lon[order], lat[order], k


def timed(fn, *args):
    gc.collect()
    started = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - started, out


# 1. re-assignment -----------------------------------------------------------------------------------
def sjoin_frame(codes, geoms):
    import geopandas as gpd

    grids = gpd.GeoDataFrame({"code": codes}, geometry=list(geoms), crs=4326)
    return grids.sort_values("code", ignore_index=True)


def sjoin_assign(grids, lon, lat, predicate="intersects") -> np.ndarray:
    """The anchor: geopandas.sjoin, then the lowest code among the grids each point joined."""
    import geopandas as gpd

    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    joined = gpd.sjoin(points, grids, predicate=predicate, how="inner")
    lowest = joined["index_right"].groupby(level=0).min()
    out = np.full(len(points), None, dtype=object)
    out[lowest.index.to_numpy()] = grids["code"].to_numpy()[lowest.to_numpy()]
    return out


def reassign_variants(codes, geoms) -> dict:
    from gisapp.spatial.reassign import PointAssigner

    warm_frame = sjoin_frame(codes, geoms)
    warm_frame.sindex.query(warm_frame.geometry.values[:1])  # the STRtree is built on first use
    ours = PointAssigner(codes, geoms)
    geos_only = PointAssigner(codes, geoms, rectangle_shortcut=False)
    return {
        "sjoin_warm": lambda x, y: sjoin_assign(warm_frame, x, y),
        "ours_warm": lambda x, y: ours.assign(x, y),
        "ours_geos_warm": lambda x, y: geos_only.assign(x, y),
        "sjoin_cold": lambda x, y: sjoin_assign(sjoin_frame(codes, geoms), x, y),
        "ours_cold": lambda x, y: PointAssigner(codes, geoms).assign(x, y),
        "sjoin_within_warm": lambda x, y: sjoin_assign(warm_frame, x, y, "within"),
    }, int(ours.exact_by_box.sum())


def bench_reassign(codes, geoms, lon, lat, repeats: int) -> dict:
    """Medians of every variant; every answer but 'within' asserted identical to the anchor's, every repeat."""
    fns, boxes = reassign_variants(codes, geoms)
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(repeats):
        answers = {}
        for name in list(fns) if r % 2 == 0 else list(fns)[::-1]:  # alternate the order: drift falls on all
            elapsed, answers[name] = timed(fns[name], lon, lat)
            times[name].append(elapsed)
        anchor = answers["sjoin_warm"]
        for name, got in answers.items():
            if name != "sjoin_within_warm":
                assert (got == anchor).all(), f"{name} differs from geopandas.sjoin"
        mismatch_within = int((answers["sjoin_within_warm"] != anchor).sum())
        placed = int((anchor != None).sum())  # noqa: E711 - elementwise
    return {
        "median_s": {k: statistics.median(v) for k, v in times.items()},
        "runs_s": times,
        "mismatch_within": mismatch_within,
        "placed": placed,
        "rectangles": boxes,
        "grids": len(codes),
    }


# 2. adjacency ---------------------------------------------------------------------------------------
def bench_adjacency(codes, geoms, repeats: int) -> dict:
    """contiguity and build_adjacency against libpysal Queen; neighbour sets asserted identical every repeat,
    and the shared segments against libpysal Rook."""
    import geopandas as gpd
    import libpysal

    from gisapp.spatial.adjacency import build_adjacency, contiguity

    frame = gpd.GeoDataFrame({"code": codes}, geometry=list(geoms))
    ids = list(codes)
    fns = {
        "queen": lambda: libpysal.weights.Queen.from_dataframe(frame, ids=ids, use_index=False, silence_warnings=True),
        "contiguity": lambda: contiguity(codes, geoms),
        "tolerant": lambda: build_adjacency(codes, geoms),
    }
    times: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(repeats):
        out = {}
        for name in list(fns) if r % 2 == 0 else list(fns)[::-1]:
            elapsed, out[name] = timed(fns[name])
            times[name].append(elapsed)
        expected = {k: set(v) for k, v in out["queen"].neighbors.items() if v}
        assert out["contiguity"].neighbours() == expected, "contiguity differs from libpysal Queen"
        assert out["tolerant"].neighbours() == expected, "the tolerant graph differs from libpysal Queen"
    rook_s, rook = timed(
        lambda: libpysal.weights.Rook.from_dataframe(frame, ids=ids, use_index=False, silence_warnings=True)
    )
    rook_sets = {k: set(v) for k, v in rook.neighbors.items() if v}
    assert out["contiguity"].neighbours(edges_only=True) == rook_sets, "shared segments differ from libpysal Rook"
    graph = out["tolerant"]
    edges = {(a, b) for a, b, e in zip(graph.grid, graph.neighbour, graph.edge) if e}
    assert edges == {(a, b) for a, ns in rook_sets.items() for b in ns if a < b}, "edges differ from Rook"
    return {
        "median_s": {k: statistics.median(v) for k, v in times.items()},
        "runs_s": times,
        "rook_s": rook_s,
        "contacts": len(graph),
        "edges": int(graph.edge.sum()),
        "corners": int((~graph.edge).sum()),
        "srid": graph.srid,
    }


def bench_sql_build(grids: int, seed: int) -> dict:
    """The full build in PostgreSQL (sql/013) against the app's in-process one, in a bench database."""
    from sqlalchemy import text

    from bench.common import Dataset, prepare_database, start_cluster
    from bench.run import synth_source
    from gisapp.db import make_engine, make_session_factory
    from gisapp.services.jurisdiction.adjacency import rebuild_adjacency

    start_cluster()
    ds = Dataset("synth", f"synthetic, {grids:,} grids", DBNAME, synth_source(grids, seed))
    prepare_database(ds)
    engine = make_engine(ds.url, pool_size=1)
    out = {}
    try:
        for name, run in (
            ("sql", lambda s: s.execute(text("SELECT refresh_grid_adjacency(1.0)"))),
            ("in_process", lambda s: rebuild_adjacency(s, 1.0)),
        ):
            session = make_session_factory(engine)()
            try:
                session.execute(text("SET LOCAL statement_timeout = 0"))
                out[f"{name}_s"], _ = timed(run, session)
                out[f"{name}_rows"] = session.execute(text("SELECT count(*) FROM grid_adjacency")).scalar_one()
                started = time.perf_counter()
                session.commit()
                out[f"{name}_commit_s"] = time.perf_counter() - started
            finally:
                session.close()
            log(f"full build {name}: {out[f'{name}_s']:.1f} s, {out[f'{name}_rows']:,} rows")
    finally:
        engine.dispose()
    return out


# 3. memory ------------------------------------------------------------------------------------------
def rss_kb() -> dict:
    status = Path("/proc/self/status").read_text().splitlines()
    return {line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith(("VmRSS", "VmHWM"))}


def measure_index(path: Path) -> dict:
    """In this (fresh) process: RSS before and after building the GridIndex of the layer, and edit times."""
    import shapely

    from gisapp.spatial.grid_index import GridIndex

    before = rss_kb()
    started = time.perf_counter()
    codes, geoms = read_grids(path)
    read_s = time.perf_counter() - started
    index = GridIndex(zip(codes.tolist(), geoms.tolist()))
    build_s = time.perf_counter() - started - read_s
    del codes
    gc.collect()
    after = rss_kb()
    edits = []
    for i, code in enumerate(sorted(c for c in index.codes if c)[:200]):
        moved = shapely.affinity.translate(index.geoms[index._position[code]], 1e-6 * (i % 3), 0)
        t = time.perf_counter()
        index.replace(code, moved)
        edits.append(time.perf_counter() - t)
    probe = shapely.get_coordinates(index.geoms[index._position[code]].representative_point())[0]
    assert index.locate(*probe) == code
    return {
        "rss_before_mb": before["VmRSS"] / 1024,
        "rss_after_mb": after["VmRSS"] / 1024,
        "peak_mb": after["VmHWM"] / 1024,
        "read_s": read_s,
        "build_s": build_s,
        "grids": len(index),
        "edit_ms_median": statistics.median(edits) * 1e3,
        "edits": len(edits),
    }


def bench_memory(path: Path) -> dict:
    """Run measure_index in a fresh interpreter (nothing else loaded)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.layers_bench", "--measure-index", str(path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# report ---------------------------------------------------------------------------------------------
def machine() -> dict:
    import shapely

    def ver(pkg):
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return "?"

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    mem = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "memory_gb": mem / 1024 / 1024,
        "python": platform.python_version(),
        "kernel": f"{platform.system()} {platform.release()}",
        "geos": shapely.geos_version_string,
        **{p: ver(p) for p in ("shapely", "geopandas", "numpy", "pandas", "libpysal", "rtree", "pyproj")},
        "load_start": os.getloadavg()[0],
    }


def ratio(anchor: float, ours: float) -> str:
    return f"{anchor / ours:.1f}×"


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def reassign_lines(label: str, r: dict, points: int, on_edges: int) -> list[str]:
    m = r["median_s"]
    rows = [
        ("sjoin_warm", 'anchor: `geopandas.sjoin(predicate="intersects")` + lowest code, sindex built'),
        ("ours_warm", "**`PointAssigner.assign`** (index built; rectangle shortcut on, the default)"),
        ("ours_geos_warm", "`PointAssigner.assign`, GEOS only (`rectangle_shortcut=False`)"),
        ("sjoin_cold", "anchor cold: new grids frame, sindex built in the call"),
        ("ours_cold", "**`PointAssigner(...)` + `assign`** cold (as `reassign_events` does)"),
        ("sjoin_within_warm", f'`sjoin(predicate="within")` (wrong on edges: {r["mismatch_within"]:,} points differ)'),
    ]
    anchor = {
        "sjoin_warm": m["sjoin_warm"],
        "ours_warm": m["sjoin_warm"],
        "ours_geos_warm": m["sjoin_warm"],
        "sjoin_cold": m["sjoin_cold"],
        "ours_cold": m["sjoin_cold"],
        "sjoin_within_warm": m["sjoin_warm"],
    }
    return [
        f"**{label}** ({r['grids']:,} grids, {r['rectangles']:,} of them axis-aligned rectangles; {points:,} points, "
        f"{on_edges:,} of them on vertices or edge midpoints; {r['placed']:,} inside a grid)",
        "",
        "| variant | median s | runs s | speed-up over its anchor |",
        "|---|---:|---|---:|",
        *[
            f"| {text} | {m[k]:.3f} | {', '.join(f'{v:.2f}' for v in r['runs_s'][k])} | {ratio(anchor[k], m[k])} |"
            for k, text in rows
        ],
        "",
    ]


def render(res: dict) -> str:
    mc, syn, demo, adj, mem = res["machine"], res["reassign"], res["reassign_demo"], res["adjacency"], res["memory"]
    speed_reassign = syn["median_s"]["sjoin_warm"] / syn["median_s"]["ours_warm"]
    speed_adj = adj["median_s"]["queen"] / adj["median_s"]["contiguity"]
    speed_tol = adj["median_s"]["queen"] / adj["median_s"]["tolerant"]
    lines = [
        "# Benchmarks: bulk spatial work of the layer side",
        "",
        f"Generated by `python -m bench.layers_bench` on {res['date']}; do not edit by hand (raw figures: "
        "`bench/out/layers-results.json`). How each figure is measured: the docstring of `bench/layers_bench.py`.",
        "",
        "## Machine",
        "",
        f"- CPU: {mc['cpu']}, {mc['nproc']} cores (shared with other engineers' work: load average "
        f"{mc['load_start']:.2f} at the start, {res['load_end']:.2f} at the end); memory {mc['memory_gb']:.1f} GB; "
        f"{mc['kernel']}",
        f"- Python {mc['python']}; shapely {mc['shapely']} ({mc['geos']}), geopandas {mc['geopandas']}, pandas "
        f"{mc['pandas']}, numpy {mc['numpy']}, libpysal {mc['libpysal']}, rtree {mc['rtree']}, pyproj {mc['pyproj']}",
        f"- one process, one thread; medians of {res['repeats']} repeats, variants interleaved (order reversed "
        "every other repeat)",
        "",
        "## Targets",
        "",
        "| measurement | figure | target | |",
        "|---|---|---|---|",
        f"| re-assignment of {res['points']:,} points, {syn['grids']:,} grids: sjoin ÷ `PointAssigner` (warm) | "
        f"{speed_reassign:.1f}× | ≥ {TARGETS['reassign']:.0f}× | {verdict(speed_reassign >= TARGETS['reassign'])} |",
        f"| adjacency graph, {syn['grids']:,} grids: libpysal Queen ÷ `contiguity` | {speed_adj:.1f}× | "
        f"≥ {TARGETS['adjacency']:.0f}× | {verdict(speed_adj >= TARGETS['adjacency'])} |",
        f"| the app's tolerant graph: libpysal Queen ÷ `build_adjacency` | {speed_tol:.1f}× | "
        f"≥ {TARGETS['adjacency']:.0f}× | {verdict(speed_tol >= TARGETS['adjacency'])} |",
        f"| resident memory of a worker holding the `GridIndex` of {mem['grids']:,} grids | "
        f"{mem['rss_after_mb']:.0f} MB | < {TARGETS['rss_mb']:.0f} MB | "
        f"{verdict(mem['rss_after_mb'] < TARGETS['rss_mb'])} |",
        "",
        "Answers are identical to the anchors' in every repeat (asserted by the bench): the same code for every "
        "point, the same neighbour set for every grid.",
        "",
        "The synthetic grids are all axis-aligned rectangles, which `PointAssigner` decides by the bounding-box "
        "test alone; without that shortcut (GEOS for every candidate: what irregular grids cost) it is "
        f"{syn['median_s']['sjoin_warm'] / syn['median_s']['ours_geos_warm']:.1f}× the anchor, and on the demo "
        f"county's digitised grids {demo['median_s']['sjoin_warm'] / demo['median_s']['ours_warm']:.1f}×.",
        "",
        "## 1. Re-assigning points to grids (shared-edge rule: lowest code)",
        "",
        *reassign_lines(f"synthetic, {syn['grids']:,} grids", syn, res["points"], res["on_edges"]),
        *reassign_lines("demo county 玄武区 (digitised, irregular)", demo, res["points"], res["on_edges_demo"]),
        *adjacency_lines(adj, res.get("sql_build")),
        "## 3. Memory of the in-process grid index",
        "",
        f"A fresh interpreter imports the spatial stack (geopandas, shapely, rtree): {mem['rss_before_mb']:.0f} MB "
        f"resident. It reads the {mem['grids']:,}-grid layer ({mem['read_s']:.1f} s) and builds `GridIndex` "
        f"(bulk-loaded rtree, prepared geometries; {mem['build_s']:.1f} s): **{mem['rss_after_mb']:.0f} MB resident** "
        f"after (peak {mem['peak_mb']:.0f} MB). Replacing one grid's shape (an edit: rtree delete + insert, "
        f"prepare): median {mem['edit_ms_median']:.3f} ms over {mem['edits']} edits.",
        "",
        "## Reproduce",
        "",
        "```",
        ".venv/bin/pip install -e '.[dev,bench]'            # libpysal, the adjacency anchor",
        ".venv/bin/python -m bench.layers_bench             # 100,000 grids, 1,000,000 points, 5 repeats",
        ".venv/bin/python -m bench.layers_bench --grids 5000 --points 100000 --repeats 3 --skip-sql "
        "--doc bench/out/layers-quick.md",
        "```",
        "",
    ]
    return "\n".join(lines)


def adjacency_lines(adj: dict, sql: dict | None) -> list[str]:
    m, runs = adj["median_s"], adj["runs_s"]

    def row(k, text):
        return f"| {text} | {m[k]:.2f} | {', '.join(f'{v:.2f}' for v in runs[k])} | {ratio(m['queen'], m[k])} |"

    out = [
        "## 2. Adjacency graph",
        "",
        f"{adj['contacts']:,} contacts ({adj['edges']:,} shared edges, {adj['corners']:,} corner-only); the "
        f"tolerant graph is measured in EPSG:{adj['srid']}. Every builder's neighbour sets are asserted equal to "
        "libpysal Queen's in every repeat, the shared segments and the 'edge' contacts to libpysal Rook's.",
        "",
        "| builder | median s | runs s | speed-up over Queen |",
        "|---|---:|---|---:|",
        row("queen", "anchor: `libpysal.weights.Queen.from_dataframe` (shared vertices; neighbours only)"),
        row("contiguity", "**`contiguity`** (shared vertices and shared segments, numpy sorting: Queen + Rook)"),
        row("tolerant", "`build_adjacency` (the app's rule, sql/013: within 1 m, shared length, edge/corner)"),
        f"| libpysal Rook (once; what libpysal needs on top of Queen to tell edges from corners) | "
        f"{adj['rook_s']:.2f} | | |",
        "",
        "`contiguity` is the like-for-like answer to libpysal (exact topology, no tolerance), and meets the target. "
        "The app keeps the tolerant rule of sql/013 for its graph (digitised layers have hairline gaps and vertices "
        "that do not match across a boundary; the exact graph misses those contacts), which `build_adjacency` "
        "computes: projection of every coordinate (pyproj), an STRtree `dwithin` query for the pairs, a GEOS "
        "buffer of every grid (its reach), then the shared lengths, clipped in numpy where the reach is convex "
        "(`gisapp/spatial/clipping.py`; GEOS's length to 1e-9 m, one GEOS intersection per pair otherwise). It "
        "does more than Queen (distances in metres, a tolerance, a length per pair) and is only about as fast: "
        "**the 3× target is missed for the app's tolerant graph**; GEOS buffers and the dwithin query are half "
        "of its time.",
        "",
    ]
    if sql:
        out += [
            "The app's full build of the tolerant graph (after a bulk load, or when most grids changed), in "
            f"PostgreSQL and in process, once each, committed (`{DBNAME}`; {sql['sql_rows']:,} and "
            f"{sql['in_process_rows']:,} rows):",
            "",
            "| full build | s | commit s |",
            "|---|---:|---:|",
            f"| `refresh_grid_adjacency(1.0)` (sql/013, PostGIS) | {sql['sql_s']:.1f} | {sql['sql_commit_s']:.1f} |",
            f"| **`rebuild_adjacency`** (read the grids, `build_adjacency`, COPY) | {sql['in_process_s']:.1f} | "
            f"{sql['in_process_commit_s']:.1f} |",
            "",
            f"So the loader and `ensure_adjacency` build the whole graph in process "
            f"({sql['sql_s'] / sql['in_process_s']:.1f}× faster than the SQL); the SQL triggers and the incremental "
            "`refresh_grid_adjacency()` stay for edits of a few grids.",
            "",
        ]
    return out


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.measure_index:
        print(json.dumps(measure_index(args.measure_index)))
        return
    if args.render_only:
        args.doc.write_text(render(json.loads((OUT / "layers-results.json").read_text())), encoding="utf-8")
        return
    from bench.run import synth_source

    try:
        import libpysal  # noqa: F401 - the adjacency anchor
    except ImportError:
        raise SystemExit("libpysal is missing: .venv/bin/pip install -e '.[dev,bench]'") from None
    res = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "repeats": args.repeats,
        "points": args.points,
    }
    source = synth_source(args.grids, args.seed)
    codes, geoms = read_grids(source / "grids.geojson")
    lon, lat, res["on_edges"] = make_points(geoms, args.points, seed=11)
    log(f"re-assignment: {len(codes):,} grids, {args.points:,} points")
    res["reassign"] = bench_reassign(codes, geoms, lon, lat, args.repeats)
    log(f"  medians {res['reassign']['median_s']}")
    dcodes, dgeoms = read_grids(DEMO_GRIDS)
    dlon, dlat, res["on_edges_demo"] = make_points(dgeoms, args.points, seed=12)
    res["reassign_demo"] = bench_reassign(dcodes, dgeoms, dlon, dlat, args.repeats)
    log(f"  demo medians {res['reassign_demo']['median_s']}")
    del lon, lat, dlon, dlat
    res["adjacency"] = bench_adjacency(codes, geoms, max(3, args.repeats - 2))
    log(f"adjacency medians {res['adjacency']['median_s']}")
    res["memory"] = bench_memory(source / "grids.geojson")
    log(f"memory {res['memory']}")
    if not args.skip_sql:
        res["sql_build"] = bench_sql_build(args.grids, args.seed)
    res["load_end"] = os.getloadavg()[0]
    write_json(OUT / "layers-results.json", res)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(render(res), encoding="utf-8")
    log(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
