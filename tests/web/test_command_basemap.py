"""A configured basemap: tiles from the configured host only (allowed by the CSP), and on a GCJ-02 basemap the
overlays are shifted by the GCJ-02 offset so that they line up with it; without a basemap no tile is asked for."""

import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gisapp.spatial.crs import wgs84_to_gcj02
from tests.conftest import start_server
from tests.web.browser import browser, console_errors, login_in_browser, requested_urls, wait_for  # noqa: F401


def png_tile() -> bytes:
    """A plain 256 x 256 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xd0" * 256 for _ in range(256))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 256, 256, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def tiles():
    """A tile server on another loopback port (another origin): every path answers a PNG; it counts requests."""
    body, seen = png_tile(), []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here


@pytest.fixture(scope="module")
def gcj_app(clone_db, tiles):
    srv, server = start_server(clone_db(), basemap_url=tiles[0] + "/amap/{z}/{x}/{y}.png", basemap_crs="GCJ-02")
    yield srv
    server.shutdown()
    server.server_close()  # the listening socket too: an unclosed one is a ResourceWarning, an error here
    srv.app.extensions["gisapp.engine"].dispose()


def test_a_gcj02_basemap_shifts_the_overlays_and_is_the_only_other_host(gcj_app, tiles, browser):
    login_in_browser(browser, gcj_app.url, "demo-county", path="/command")
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    wait_for(browser, lambda d: tiles[1])  # tiles were asked for
    wait_for(browser, lambda d: d.execute_script("return GISAPP.layers.townships.geo !== null"))
    first = browser.execute_script("""
        const layer = Object.values(GISAPP.layers.townships.geo._layers)[0];
        const ring = layer.feature.geometry.coordinates[0][0];
        const drawn = layer.getLatLngs()[0][0][0];
        return [ring[0], [drawn.lng, drawn.lat]];""")
    (lon, lat), shown = first
    assert shown == pytest.approx(list(wgs84_to_gcj02(lon, lat)), abs=1e-9)
    assert browser.execute_script("return GISAPP.display.datum") == "GCJ-02"
    hosts = {u.split("/")[2] for u in requested_urls(browser) if u.startswith("http")}
    assert hosts == {gcj_app.url.split("/")[2], tiles[0].split("/")[2]}
    assert console_errors(browser) == []


def test_the_csp_allows_the_configured_tile_host_for_images(gcj_app, tiles):
    from tests.web.browser import form_login

    http, _ = form_login(gcj_app.url, "demo-county")
    policy = http.get(gcj_app.url + "/command", timeout=10).headers["Content-Security-Policy"]
    assert f"img-src 'self' data: {tiles[0]}" in policy and "connect-src 'self'" in policy


def test_without_a_basemap_the_map_is_plain_and_overlays_are_wgs84(live, browser):
    login_in_browser(browser, live.url, "demo-county", path="/command")
    wait_for(browser, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    assert browser.execute_script("return GISAPP.display.datum") == "WGS84"
    assert browser.execute_script("return document.querySelectorAll('.leaflet-tile').length") == 0


# Tianditu's subdomains t0..t7 become one CSP wildcard; an in-house server keeps its port
@pytest.mark.parametrize(
    "url, origin",
    [
        (
            "http://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k",
            "http://*.tianditu.gov.cn",
        ),
        ("http://10.1.2.3:8080/tiles/{z}/{x}/{y}.png", "http://10.1.2.3:8080"),
    ],
)
def test_the_csp_origin_is_derived_from_the_basemap_url(url, origin):
    from gisapp.config import Settings

    assert Settings(basemap_url=url).basemap_image_origin == origin


def test_a_bd09_basemap_is_refused_at_start():
    from gisapp.config import Settings

    with pytest.raises(ValueError, match="BD-09"):
        Settings(basemap_url="http://x/{z}/{x}/{y}", basemap_crs="BD-09")
