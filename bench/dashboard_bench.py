"""The commander dashboard's time to first drawn grid layer in Chromium, on the 100,000-grid synthetic county.

    .venv/bin/python -m bench.dashboard_bench [--grids 100000] [--runs 7] [--zoom 13]

Data: the synthetic jurisdiction of bench/run.py (`gisapp demo synth`, seed 1, cached under bench/out/) in a
database of its own, `gisapp_bench_dashboard`, with one county commander account of it. The app runs in this
process on a loopback port (threaded werkzeug, as the browser tests); Debian's headless Chromium (Selenium)
logs in through the form once, then each run opens /command#<zoom>/<lat>/<lon> afresh at the county's centre,
at the grids' declared min_zoom (13): the first view in which grids are drawn, and the largest bbox they are
loaded for.

Measured per run, in the same page and for the same bbox (the padded view the dashboard loads):
  dashboard   navigation start -> the "gisapp:grids-drawn" mark (the frame after the grids were added to the
              canvas): HTML, bundles, the layer index, the area layers, the grids' GeoJSON fetch and drawing
  fetch       the anchor: the bare GeoJSON fetch and parse of /api/v1/layers/grids?bbox=... alone
  leaflet     the anchor: a bare Leaflet map (canvas) fetching and drawing the same features, to the next frame
The login lands on the dashboard (the whole county, below the grids' zoom), so every run finds the bundles in
the browser's cache, as a dispatch-hall screen reopening the page does; the figures are medians over the runs.
Writes docs/benchmarks-dashboard.md and bench/out/dashboard-results.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import threading
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

from bench.common import OUT, ROOT, Dataset, log, prepare_database, start_cluster, write_json

DBNAME = "gisapp_bench_dashboard"
DOC = ROOT / "docs" / "benchmarks-dashboard.md"
USERNAME, PASSWORD = "bench-commander", "Bench#Command2026"
TARGET_S = 2.0

# the anchors, run in the dashboard's page once it is drawn: the same bbox, fetched bare / drawn by bare Leaflet
ANCHOR_JS = """
const done = arguments[arguments.length - 1];
const b = GISAPP.display.bbox(GISAPP.layers.grids.loaded).map(v => v.toFixed(6)).join(",");
const url = "/api/v1/layers/grids?bbox=" + b + "&anchor=" + Math.random();
const frame = () => new Promise(r => requestAnimationFrame(() => r()));
(async () => {
  let t0 = performance.now();
  const fc = await (await fetch(url)).json();
  const fetchMs = performance.now() - t0;
  const div = document.createElement("div");
  div.style.cssText = "position:fixed;left:0;top:0;z-index:9999;width:" + innerWidth + "px;" +
                      "height:" + innerHeight + "px";
  document.body.appendChild(div);
  const bare = L.map(div, { preferCanvas: true }).setView(GISAPP.map.getCenter(), GISAPP.map.getZoom());
  t0 = performance.now();
  const fc2 = await (await fetch(url + "x")).json();
  L.geoJSON(fc2, { renderer: L.canvas() }).addTo(bare);
  await frame();
  const leafletMs = performance.now() - t0;
  bare.remove(); div.remove();
  done({ fetch_ms: fetchMs, leaflet_ms: leafletMs, features: fc.features.length, bytes: JSON.stringify(fc).length });
})();
"""


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.dashboard_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--grids", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=7, help="page loads")
    p.add_argument("--zoom", type=int, default=13, help="the view's zoom (the grids' min_zoom)")
    p.add_argument("--doc", type=Path, default=DOC)
    return p.parse_args(argv)


def prepare(args) -> tuple[Dataset, dict]:
    """The synthetic county in its database, a commander account of it, and the county's centre."""
    from bench.run import synth_source
    from gisapp.db import make_engine, make_session_factory, transaction
    from gisapp.services.access.accounts import create_user
    from gisapp.services.access.audit import Actor

    start_cluster()
    ds = Dataset("synth", f"synthetic, {args.grids:,} grids", DBNAME, synth_source(args.grids, args.seed))
    prepare_database(ds)
    engine = make_engine(ds.url, pool_size=1)
    with transaction(make_session_factory(engine)) as session:
        county, lon, lat, grids = session.execute(
            text(
                "SELECT k.code, ST_X(ST_Centroid(k.geom)), ST_Y(ST_Centroid(k.geom)), (SELECT count(*) FROM grids) "
                "FROM counties k ORDER BY k.code LIMIT 1"
            )
        ).one()
        if not session.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": USERNAME}).first():
            create_user(
                session,
                b"bench",
                Actor("bench", "security_admin", None),
                username=USERNAME,
                role="county_commander",
                bound_to=county,
                password=PASSWORD,
            )
    engine.dispose()
    return ds, {"county": county, "lon": lon, "lat": lat, "grids": grids}


def serve(ds: Dataset):
    """The app on a free loopback port, no login rate limits; (base URL, server)."""
    from werkzeug.serving import make_server

    from gisapp import create_app
    from gisapp.config import Settings

    app = create_app(Settings(database_url=ds.url, login_rate_client=0, login_rate_account=0))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def chromium(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.web.browser import CHROMEDRIVER, CHROMIUM

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_script_timeout(120)
    return driver


def one_run(driver, base: str, centre: dict, zoom: int) -> dict:
    """Open the dashboard at the view afresh; the time to its grids mark, then the anchors in the same page."""
    from tests.web.browser import wait_for

    driver.get("about:blank")
    driver.get(f"{base}/command#{zoom}/{centre['lat']:.5f}/{centre['lon']:.5f}")
    wait_for(
        driver,
        lambda d: d.execute_script("return performance.getEntriesByName('gisapp:grids-drawn').length"),
        timeout=120,
    )
    dashboard_ms = driver.execute_script("return performance.getEntriesByName('gisapp:grids-drawn')[0].startTime")
    drawn = json.loads(driver.execute_script("return document.body.dataset.drawn"))
    anchors = driver.execute_async_script(ANCHOR_JS)
    return {"dashboard_ms": dashboard_ms, "grids_drawn": drawn["grids"], **anchors}


def measure(args, base: str, centre: dict) -> list[dict]:
    import tempfile

    from tests.web.browser import login_in_browser

    driver = chromium(Path(tempfile.mkdtemp(prefix="dashboard-bench-")))  # a fresh profile: no session, no cache
    try:
        login_in_browser(driver, base, USERNAME, PASSWORD, path="/command")
        runs = []
        for i in range(args.runs):
            runs.append(one_run(driver, base, centre, args.zoom))
            log(
                f"run {i + 1}: {runs[-1]['dashboard_ms']:.0f} ms to first grids ({runs[-1]['grids_drawn']} grids); "
                f"bare fetch {runs[-1]['fetch_ms']:.0f} ms, bare Leaflet {runs[-1]['leaflet_ms']:.0f} ms"
            )
        return runs
    finally:
        driver.quit()


def summary(runs: list[dict], load: str) -> dict:
    med = {k: statistics.median(r[k] for r in runs) for k in ("dashboard_ms", "fetch_ms", "leaflet_ms")}
    return {
        "median": med,
        "max_dashboard_ms": max(r["dashboard_ms"] for r in runs),
        "grids_drawn": runs[0]["grids_drawn"],
        "bytes": runs[0]["bytes"],
        "load": load,
    }


def write_doc(path: Path, args, centre: dict, runs: list[dict], s: dict) -> None:
    chrome = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
    med = s["median"]
    verdict = "met" if med["dashboard_ms"] < TARGET_S * 1000 else "NOT met"
    rows = "\n".join(
        f"| {i + 1} | {r['dashboard_ms']:.0f} | {r['fetch_ms']:.0f} | {r['leaflet_ms']:.0f} | {r['grids_drawn']} |"
        for i, r in enumerate(runs)
    )
    path.write_text(
        f"""# Benchmark: the commander dashboard's first drawn grid layer

Written by `bench/dashboard_bench.py` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC ({platform.machine()},
{chrome}, 2 CPU cores shared with other work). Data: the synthetic county ({centre["grids"]:,} grids, seed
{args.seed}); the dashboard opened at zoom {args.zoom} (the grids' min_zoom, the largest view grids are drawn in)
on its centre, 1280 x 900 window, as a county commander (the whole county in scope).

Target: the first grid layer drawn in under {TARGET_S:.0f} s. Median of {len(runs)} page loads:
**{med["dashboard_ms"] / 1000:.2f} s** ({verdict}); slowest {s["max_dashboard_ms"] / 1000:.2f} s. The bundles come
from the browser's cache (the login lands on the dashboard first), as when a wall screen reopens the page.

| what (same page, same bbox: the padded view) | median |
|---|---|
| dashboard: navigation start to the grids on the canvas | {med["dashboard_ms"]:.0f} ms |
| anchor: the bare GeoJSON fetch + parse of those grids | {med["fetch_ms"]:.0f} ms |
| anchor: a bare Leaflet canvas map fetching and drawing them | {med["leaflet_ms"]:.0f} ms |

{s["grids_drawn"]:,} grids drawn ({s["bytes"] / 1e6:.1f} MB of GeoJSON: the view plus a 30 % margin). The
dashboard's time is the bare Leaflet draw plus the page itself (HTML, the bundles, the layer index); the grids
are asked for before any other layer, so they do not share the server with the others. The GeoJSON fetch
(built in PostGIS, with each grid's team) is {100 * med["fetch_ms"] / med["leaflet_ms"]:.0f} % of the bare
draw; vector tiles (`/tiles/<layer>/{{z}}/{{x}}/{{y}}.mvt`) would replace `static/js/dash/source.js`, the one
module that knows where features come from. Load average while measuring: {s["load"]}.

What the bench taught: a first version loaded the whole duty board (449,317 members of the county) and every
layer at once and took 3.7 to 6.7 s; members are now loaded for the view from zoom 14 and the grids before the
other layers. Every sixth reload then stalled about 50 s: the previous pages' event streams held the browser's
six connections to the app until the server's next keep-alive write; the page now closes its stream when left.

| run | dashboard (ms) | bare fetch (ms) | bare Leaflet (ms) | grids |
|---|---|---|---|---|
{rows}

Run it: `.venv/bin/python -m bench.dashboard_bench` (the first run synthesizes and loads the county: minutes).
""",
        encoding="utf-8",
    )


def main(argv=None) -> None:
    args = parse_args(argv)
    ds, centre = prepare(args)
    base, server = serve(ds)
    import os

    before = os.getloadavg()[0]
    try:
        runs = measure(args, base, centre)
    finally:
        server.shutdown()
    s = summary(runs, f"{before:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores)")
    write_json(
        OUT / "dashboard-results.json",
        {"args": vars(args) | {"doc": str(args.doc)}, "centre": centre, "runs": runs, "summary": s},
    )
    write_doc(args.doc, args, centre, runs, s)
    log(f"median {s['median']['dashboard_ms']:.0f} ms; wrote {args.doc}")


if __name__ == "__main__":
    main()
