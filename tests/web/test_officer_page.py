"""The grid officer's page (/officer) on a phone-sized headless Chromium against the live app: log in, see my
grid and its neighbours, be inside it at an emulated position (and how far from its edge), report my duty
status, report an event by tapping the map (with a photo), acknowledge the task it gives my team. No console errors, no
request to another host; screenshots for the README."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.photo_bytes import tiny_png
from tests.support import query
from tests.web.browser import login_in_browser, wait_for
from tests.web.page_checks import (
    PageWatch,
    page_state,
    phone,  # noqa: F401
    place_browser_at,
    screenshot,
    watched_browser,  # noqa: F401  (a pytest fixture, used by name)
)

MY_GRID = """SELECT g.code, ST_X(p), ST_Y(p), ST_Distance(p::geography, ST_Boundary(g.geom)::geography),
                    ST_X(c), ST_Y(c)
             FROM users u JOIN grids g ON g.code = u.grid_code,
                  LATERAL (SELECT ST_PointOnSurface(g.geom) AS p) x,
                  LATERAL (SELECT ST_LineInterpolatePoint(ST_MakeLine(ST_PointOnSurface(g.geom),
                           ST_ClosestPoint(ST_Boundary(g.geom), ST_PointOnSurface(g.geom))), 0.5) AS c) y
             WHERE u.username = 'demo-grid'"""
NEIGHBOUR = """SELECT ST_X(ST_PointOnSurface(n.geom)), ST_Y(ST_PointOnSurface(n.geom)) FROM grids n, grids g
               WHERE g.code = %s AND n.code <> g.code AND ST_Intersects(n.geom, g.geom) ORDER BY n.code LIMIT 1"""


def officer_page(driver, live, lon: float, lat: float) -> PageWatch:
    """A phone at a place, logged in as the demo grid officer, on its page."""
    watch = PageWatch(driver, live.url)
    phone(driver)
    driver.get(live.url + "/login")
    place_browser_at(driver, live.url, lon, lat)
    login_in_browser(driver, live.url, "demo-grid", path="/officer")
    return watch


def tap(driver, lon: float, lat: float) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    x, y = driver.execute_script(
        "var p = window.gisappOfficer.map.latLngToContainerPoint([arguments[1], arguments[0]]); return [p.x, p.y];",
        lon,
        lat,
    )
    area = driver.find_element("id", "map")
    rect = area.rect
    offset = (x - rect["width"] / 2, y - rect["height"] / 2)
    ActionChains(driver).move_to_element_with_offset(area, *offset).click().perform()


def cst_clock(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")


def test_officer_sees_its_grid_reports_by_tapping_and_acknowledges_the_task(live, watched_browser, tmp_path):
    driver = watched_browser
    ((grid, lon, lat, edge_m, tap_lon, tap_lat),) = query(live, MY_GRID)
    watch = officer_page(driver, live, lon, lat)
    state = page_state(driver, lambda s: s["outcome"] == "ready" and s["where"] is not None)
    served = live.client("demo-grid").get(f"{live.url}/api/v1/layers/grids", timeout=10).json()["features"]
    assert state["grid"] == grid and state["neighbours"] == len(served) - 1 >= 2
    assert state["where"]["inside"] is True and abs(state["where"]["distance_m"] - edge_m) <= 2
    assert str(round(edge_m)) in driver.find_element("id", "position").text
    screenshot(driver, "officer-grid")

    driver.find_element("css selector", '[data-status="on_patrol"]').click()
    assert page_state(driver, lambda s: s["outcome"] == "duty")["duty"] == "on_patrol"
    assert "在本网格内" in driver.find_element("id", "duty-state").text
    assert query(
        live,
        "SELECT m.duty_status, m.position IS NOT NULL FROM members m JOIN users u "
        "ON u.member_code = m.code WHERE u.username = 'demo-grid'",
    ) == [("on_patrol", True)]

    ((category,),) = query(live, "SELECT code FROM categories WHERE level = 1 ORDER BY code LIMIT 1")
    driver.find_element("id", "report").click()
    tap(driver, tap_lon, tap_lat)
    page_state(driver, lambda s: s["outcome"] == "picked")
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "category")).select_by_value(category)
    driver.find_element("id", "description").send_keys("人行道井盖缺失，已设置临时警示")
    photo = tmp_path / "scene.png"
    photo.write_bytes(tiny_png(6, 4, shade=120))
    driver.find_element("id", "photo").send_keys(str(photo))  # what the phone's camera hands the input
    driver.execute_script("window.scrollTo(0, 0)")  # the map with the tapped place, the form under it
    screenshot(driver, "officer-report")
    driver.find_element("id", "report-send").click()
    outcome = page_state(driver, lambda s: s["outcome"].startswith("reported:"))["outcome"]
    event = int(outcome.split(":")[1])
    assert query(live, "SELECT grid_code, channel, description FROM events WHERE id = %s", event) == [
        (grid, "patrol", "人行道井盖缺失，已设置临时警示")
    ]
    assert query(
        live, "SELECT media_type, sha256, width, height, uploaded_by FROM event_photos WHERE event_id = %s", event
    ) == [("image/png", hashlib.sha256(photo.read_bytes()).hexdigest(), 6, 4, "demo-grid")]
    assert "照片已上传" in driver.find_element("id", "message").text

    card = f'#tasks li[data-event="{event}"]'
    wait_for(driver, lambda d: d.find_elements("css selector", card + ' button[data-action="acknowledge"]'))
    detail = live.client("demo-grid").get(f"{live.url}/api/v1/events/{event}", timeout=10).json()
    assert cst_clock(detail["tasks"][0]["deadlines"]["respond_by"]) in driver.find_element("css selector", card).text
    driver.find_element("css selector", card + ' button[data-action="acknowledge"]').click()
    page_state(driver, lambda s: s["outcome"] == "acted:acknowledge")
    wait_for(driver, lambda d: d.find_elements("css selector", card + ' button[data-action="arrive"]'))
    assert query(live, "SELECT status FROM event_tasks WHERE event_id = %s AND kind = 'handle'", event) == [
        ("acknowledged",)
    ]
    screenshot(driver, "officer-tasks")

    ((out_lon, out_lat),) = query(live, NEIGHBOUR, grid)  # walking into a neighbouring grid
    place_browser_at(driver, live.url, out_lon, out_lat)
    assert page_state(driver, lambda s: s["where"]["inside"] is False)["where"]["distance_m"] > 0
    assert watch.errors() == [] and watch.foreign_requests() == []


def test_officer_page_in_english_(live, watched_browser):
    driver = watched_browser
    ((_, lon, lat, _, _, _),) = query(live, MY_GRID)
    officer_page(driver, live, lon, lat)
    page_state(driver, lambda s: s["outcome"] == "ready")
    # both catalogs hold every key of the page: tests/web/test_i18n.py
    assert driver.find_element("id", "report").text == "点地图上报事件"
    driver.find_element("id", "lang").click()
    wait_for(driver, lambda d: d.find_element("id", "report").text == "Tap the map to report")
    wait_for(driver, lambda d: "inside your grid" in d.find_element("id", "position").text)


def test_the_pages_inside_and_distance_helper_on_edge_cases(live, watched_browser):
    driver = watched_browser
    ((_, lon, lat, _, _, _),) = query(live, MY_GRID)
    officer_page(driver, live, lon, lat)
    page_state(driver, lambda s: s["outcome"] == "ready")
    square = {
        "type": "Polygon",
        "coordinates": [
            [[118.80, 32.00], [118.82, 32.00], [118.82, 32.02], [118.80, 32.02], [118.80, 32.00]],
            [[118.805, 32.005], [118.815, 32.005], [118.815, 32.015], [118.805, 32.015], [118.805, 32.005]],
        ],
    }
    multi = {
        "type": "MultiPolygon",
        "coordinates": [square["coordinates"], [[[118.90, 32.00], [118.91, 32.00], [118.91, 32.01], [118.90, 32.00]]]],
    }

    def where(geometry, x, y):
        return driver.execute_script(
            "return window.gisappGeo.where(arguments[0], arguments[1], arguments[2]);", geometry, x, y
        )

    # in the ring, not in the hole: 0.0025 degrees of longitude from both the outer edge and the hole's
    east_m = 111195 * 0.84805  # a degree of longitude at 32.01° N
    ring = where(square, 118.8025, 32.01)
    assert ring["inside"] is True and abs(ring["distance_m"] - 0.0025 * east_m) < 2
    assert where(square, 118.81, 32.01)["inside"] is False  # in the hole
    on_edge = where(square, 118.80, 32.01)  # exactly on the outer edge counts as inside
    assert on_edge["inside"] is True and on_edge["distance_m"] < 0.01
    assert where(multi, 118.908, 32.002)["inside"] is True  # the second polygon of a multipolygon
    outside = where(square, 118.83, 32.01)  # 0.01 degrees of longitude east
    assert outside["inside"] is False and abs(outside["distance_m"] - 0.01 * east_m) < 5
