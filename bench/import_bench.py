"""Layer import on the demo county: reading, checking and writing cameras, against a bare bulk INSERT.

    .venv/bin/python -m bench.import_bench [--cameras 10000] [--repeat 3]

Data: the demo county (layers/demo) in a database of its own, `gisapp_bench_import`. --cameras points drawn
uniformly inside the grids (seed 4) become cameras with fresh GB/T 28181 ids, as a GeoJSON file in EPSG:4326
and as the same file in EPSG:4549 (Gauss-Kruger metres, reprojected on import).

Measured, each --repeat times (median kept), the database work in a transaction rolled back at the end:
  anchor     the bare INSERT of the same rows (one executemany of the cameras' values: the view trigger runs)
  read       read_layer_file: parse, CRS, reproject to EPSG:4326 (no database)
  import     import_layer: every feature's checks, the county and id look-ups, the upserts, the audit record
Writes docs/benchmarks-import.md and bench/out/import-results.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import datetime, timezone

import numpy as np
from sqlalchemy import text

from bench.common import OUT, ROOT, CpuMonitor, Dataset, log, prepare_database, random_points, start_cluster, write_json
from gisapp.spatial.crs import xy_from_wgs84

DBNAME = "gisapp_bench_import"
DOC = ROOT / "docs" / "benchmarks-import.md"
ANCHOR_SQL = text(
    "INSERT INTO cameras (device_id, name, azimuth_deg, fov_deg, range_m, online, geom) "
    "VALUES (:d, :n, :a, :f, :r, true, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
)


def camera_file(points, crs: str | None = None) -> bytes:
    """The cameras as GeoJSON (RFC 7946, or with the legacy crs member of a projected CRS)."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {
                "device_id": f"32010200001310{500000 + i:06d}",
                "name": f"基准摄像机{i}",
                "azimuth_deg": i % 360,
                "fov_deg": 90,
                "range_m": 60,
            },
        }
        for i, (x, y) in enumerate(points)
    ]
    doc = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc, ensure_ascii=False).encode()


def timed(monitor: CpuMonitor, fn) -> tuple[float, float]:
    """(seconds, other processes' cores meanwhile) of one call, after waiting (bounded) for a quiet machine."""
    monitor.wait_quiet(limit=20)
    start, began = monitor.snapshot(), time.perf_counter()
    fn()
    return time.perf_counter() - began, monitor.foreign_cores(start)


def rolled_back(factory, work):
    def run():
        session = factory()
        try:
            work(session)
        finally:
            session.rollback()
            session.close()

    return run


def measure(ds: Dataset, n: int, repeat: int) -> dict:
    from gisapp.db import make_engine, make_session_factory
    from gisapp.services.access.audit import Actor
    from gisapp.services.layers.import_read import read_layer_file
    from gisapp.services.layers.importer import import_layer

    engine = make_engine(ds.url, pool_size=2)
    factory, monitor = make_session_factory(engine), CpuMonitor()
    points = random_points(engine, n, seed=4)
    to_gk = xy_from_wgs84("EPSG:4549")
    files = {"EPSG:4326": camera_file(points), "EPSG:4549": camera_file(to_gk(np.array(points)).tolist(), "EPSG:4549")}
    rows = [
        {"d": f"32010200001310{500000 + i:06d}", "n": f"基准摄像机{i}", "a": i % 360, "f": 90, "r": 60, "x": x, "y": y}
        for i, (x, y) in enumerate(points)
    ]
    actor = Actor("bench", "planner", "local")
    results = {
        "anchor": [timed(monitor, rolled_back(factory, lambda s: s.execute(ANCHOR_SQL, rows))) for _ in range(repeat)]
    }
    for crs, data in files.items():
        results[f"read {crs}"] = [
            timed(monitor, lambda: read_layer_file(data, "cams.geojson", layer="cameras")) for _ in range(repeat)
        ]
        source = read_layer_file(data, "cams.geojson", layer="cameras")
        results[f"import {crs}"] = [
            timed(
                monitor,
                rolled_back(
                    factory,
                    lambda s: import_layer(
                        s,
                        b"bench-key",
                        actor,
                        "320102",
                        "cameras",
                        source,
                        file_name="cams.geojson",
                        file_hash="0" * 64,
                    ),
                ),
            )
            for _ in range(repeat)
        ]
    engine.dispose()
    return {"cameras": n, "bytes": {k: len(v) for k, v in files.items()}, "runs": results}


def write_doc(figures: dict, repeat: int) -> None:
    runs, n = figures["runs"], figures["cameras"]
    anchor = statistics.median(s for s, _ in runs["anchor"])
    lines = [
        "# Benchmarks: layer import",
        "",
        f"Generated by `python -m bench.import_bench` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: "
        f"{n:,} cameras of the demo county, median of {repeat} runs, each database run in a transaction "
        "rolled back. The machine is shared (2 cores, other engineers' tests): each run waits (at most 20 s) "
        "for a quiet machine, and the CPU other processes used meanwhile is shown. Raw figures: "
        "`bench/out/import-results.json`.",
        "",
        "| step | seconds | cameras/s | ÷ anchor | other CPU (cores, max) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in runs.items():
        median = statistics.median(s for s, _ in values)
        lines.append(
            f"| {name} | {median:.2f} | {n / median:,.0f} | {median / anchor:.1f}× | {max(c for _, c in values):.2f} |"
        )
    lines += [
        "",
        "- **anchor**: one executemany of the bare INSERT (the camera-view trigger of 020 runs for both).",
        "- **read**: `read_layer_file` (JSON parse, shapely geometries, CRS, reprojection with pyproj for "
        "EPSG:4549); no database.",
        "- **import**: `import_layer` on the read file: the checks of every feature (properties, ranges, GB/T "
        "28181 id, validity, inside the county), the look-up of existing ids outside the county, one upsert "
        "per camera (so that each is counted inserted, updated or unchanged), the audit record.",
        "",
    ]
    DOC.write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m bench.import_bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--cameras", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    start_cluster()
    ds = Dataset("demo", "demo county 玄武区", DBNAME, ROOT / "layers" / "demo")
    prepare_database(ds)
    log(f"measuring the import of {args.cameras} cameras")
    figures = measure(ds, args.cameras, args.repeat)
    write_json(OUT / "import-results.json", figures)
    write_doc(figures, args.repeat)
    log(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
